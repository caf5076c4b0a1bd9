# Written by tfiam. Values come from terraform.tfvars.json, which
# `tfiam backend bootstrap` writes from the answers file's backend section.

variable "region" {
  description = "AWS region of the state bucket (and lock table), e.g. eu-central-1."
  type        = string
}

variable "profile" {
  description = "Named profile from the AWS config/credentials files, or null for the default credential chain."
  type        = string
  default     = null
}

variable "endpoint" {
  description = "Base URL of a stand-in AWS (e.g. http://127.0.0.1:5000) used for IAM, STS, S3 and DynamoDB, or null for real AWS."
  type        = string
  default     = null
}

variable "bucket" {
  description = "Name of the state bucket."
  type        = string
}

variable "kms_key_id" {
  description = "KMS key for default encryption, or null for SSE-S3."
  type        = string
  default     = null
}

variable "dynamodb_table" {
  description = "Name of the DynamoDB lock table, or null for none."
  type        = string
  default     = null
}

variable "existing_bucket_policy" {
  description = "JSON of the bucket policy already in place (kept, plus the TLS-only statement), or null."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the bucket and the table."
  type        = map(string)
  default     = {}
}
