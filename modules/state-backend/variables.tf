# Inputs of the state-backend module.

variable "bucket" {
  description = "Name of the S3 bucket that holds Terraform state: 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket)) && !strcontains(var.bucket, "..")
    error_message = "S3 bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens, start and end with a letter or digit, and have no two adjacent dots."
  }
}

variable "kms_key_id" {
  description = "ARN (or alias ARN) of a customer-managed KMS key for default encryption, or null for SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "dynamodb_table" {
  description = "Name of a DynamoDB table for legacy state locking (LockID string hash key, on-demand, point-in-time recovery), or null for none (S3 native locking, use_lockfile, needs no table)."
  type        = string
  default     = null

  validation {
    condition     = var.dynamodb_table == null ? true : can(regex("^[A-Za-z0-9_.-]{3,255}$", var.dynamodb_table))
    error_message = "DynamoDB table names are 3-255 characters of letters, digits, _ . and -."
  }
}

variable "existing_bucket_policy" {
  description = "JSON of a bucket policy already on the bucket, or null. Its statements are kept; the module adds (or replaces) the statement with Sid DenyInsecureTransport."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the bucket and the table when this module creates them (later tag changes are ignored)."
  type        = map(string)
  default     = {}
  nullable    = false
}
