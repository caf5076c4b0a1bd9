# Written by tfiam. Values come from terraform.tfvars.json, which tfiam writes
# from the answers file. Rules IAM enforces are checked by the module.

variable "region" {
  description = "AWS region for the provider (IAM is global, but the provider needs one), e.g. eu-central-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-central-1."
  }
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

  validation {
    condition     = var.endpoint == null ? true : can(regex("^https?://[^[:space:]/]+(/[^[:space:]]*)?$", var.endpoint))
    error_message = "endpoint must be an http(s) URL such as http://127.0.0.1:5000, or null."
  }
}

variable "user_name" {
  description = "Name of the IAM user."
  type        = string
}

variable "user_path" {
  description = "IAM path of the user, its groups and custom policies."
  type        = string
  default     = "/"
}

variable "user_tags" {
  description = "Tags on the IAM user."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary" {
  description = "ARN of the permissions boundary policy, or null."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Whether destroying the user also removes credentials Terraform does not manage."
  type        = bool
  default     = false
}

variable "groups" {
  description = "Groups to create and put the user in, each with managed policy ARNs and an optional custom policy."
  type = list(object({
    name                = string
    managed_policy_arns = optional(list(string), [])
    custom_policy = optional(object({
      name        = string
      description = optional(string, "")
      statements = list(object({
        sid       = optional(string)
        effect    = string
        actions   = list(string)
        resources = list(string)
      }))
    }))
  }))
  default = []
}

variable "existing_groups" {
  description = "Names of existing groups (not managed here) to put the user in."
  type        = list(string)
  default     = []
}

variable "user_policy_arns" {
  description = "Managed policy ARNs attached directly to the user."
  type        = list(string)
  default     = []
}

variable "access_keys" {
  description = "Access keys by slot (tfiam keeps them: \"a\", and \"b\" during a rotation), each with its status."
  type = map(object({
    status = string
  }))
  default = {}
}

variable "key_rotation" {
  description = "tfiam rotate's record (JSON): the rotation's phase, its slots, who did each step and when; null before the first rotation."
  type        = string
  default     = null
}

variable "offboarding" {
  description = "tfiam offboard's record (JSON): when and by whom the user was disabled and what a cancel restores; null unless an offboarding is under way."
  type        = string
  default     = null
}

variable "create_login_profile" {
  description = "Whether to create a console password (encrypted to pgp_key)."
  type        = bool
  default     = false
}

variable "password_reset_required" {
  description = "Whether the user must change the console password at first sign-in."
  type        = bool
  default     = true
}

variable "password_length" {
  description = "Length of the generated console password (8-128)."
  type        = number
  default     = 20
}

variable "pgp_key" {
  description = "Base64 of the binary PGP public key that encrypts the secrets; required when create_access_key or create_login_profile is true."
  type        = string
  default     = null
}

variable "enforce_mfa" {
  description = "Whether to put the user in a group that denies everything except setting up MFA until the user signs in with MFA."
  type        = bool
  default     = false
}
