# Inputs of the iam-user module.
#
# Every rule IAM enforces and that can be checked before any API call is checked
# here, so a bad value fails at plan time with a message naming the rule instead
# of half-way through an apply.

variable "name" {
  description = "Name of the IAM user: 1-64 characters of letters, digits and + = , . @ _ -."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "IAM user names are 1-64 characters of letters, digits and + = , . @ _ -."
  }
}

variable "path" {
  description = "IAM path for the user, its groups and its custom policies: \"/\" or a path that starts and ends with \"/\" (e.g. \"/engineering/ci/\"), printable ASCII, at most 512 characters."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = length(var.path) <= 512 && can(regex("^(/|/[!-~]+/)$", var.path))
    error_message = "An IAM path is \"/\" or starts and ends with \"/\" (e.g. \"/engineering/ci/\"), printable ASCII without spaces, at most 512 characters."
  }
}

variable "tags" {
  description = "Tags for the user (at most 50; keys 1-128 characters, values at most 256, keys must not start with \"aws:\")."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = length(var.tags) <= 50
    error_message = "IAM allows at most 50 tags on a user."
  }

  validation {
    condition = alltrue([
      for k, v in var.tags :
      length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")
    ])
    error_message = "Tag keys are 1-128 characters and must not start with \"aws:\"; tag values are at most 256 characters."
  }
}

variable "permissions_boundary" {
  description = "ARN of a managed policy used as the user's permissions boundary, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be a policy ARN such as arn:aws:iam::123456789012:policy/Boundary, or null."
  }
}

variable "force_destroy" {
  description = "Whether destroying the user also removes access keys, login profile, MFA devices and other credentials Terraform does not manage."
  type        = bool
  default     = false
  nullable    = false
}

variable "groups" {
  description = <<-EOT
    Groups to create and put the user in. Each entry is a group name, a list of
    managed policy ARNs to attach to it, and optionally one custom policy built
    from statements (sid, effect, actions, resources) and attached to the group.
    Policy text is sent to AWS exactly as given (no template interpolation).
  EOT
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
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for g in var.groups : can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", g.name))])
    error_message = "IAM group names are 1-128 characters of letters, digits and + = , . @ _ -."
  }

  validation {
    condition     = length(distinct([for g in var.groups : lower(g.name)])) == length(var.groups)
    error_message = "Each group may be listed only once (IAM group names are case-insensitively unique)."
  }

  validation {
    condition = alltrue([
      for g in var.groups : alltrue([
        for arn in g.managed_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", arn))
      ]) && length(distinct(g.managed_policy_arns)) == length(g.managed_policy_arns)
    ])
    error_message = "managed_policy_arns must be distinct policy ARNs such as arn:aws:iam::aws:policy/ReadOnlyAccess."
  }

  validation {
    condition = alltrue([
      for g in var.groups : g.custom_policy == null ? true : (
        can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", g.custom_policy.name)) &&
        length(g.custom_policy.description) <= 1000 &&
        length(g.custom_policy.statements) > 0
      )
    ])
    error_message = "A custom policy needs a name of 1-128 characters of letters, digits and + = , . @ _ -, a description of at most 1000 characters and at least one statement."
  }

  validation {
    condition = alltrue([
      for s in flatten([for g in var.groups : g.custom_policy == null ? [] : g.custom_policy.statements]) :
      contains(["Allow", "Deny"], s.effect) &&
      length(s.actions) > 0 && length(s.resources) > 0 &&
      (s.sid == null ? true : can(regex("^[A-Za-z0-9]*$", s.sid)))
    ])
    error_message = "Each statement needs effect \"Allow\" or \"Deny\", at least one action and one resource, and a sid (if any) of letters and digits only."
  }
}

variable "existing_groups" {
  description = "Names of groups that already exist (not managed here) to put the user in as well."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for g in var.existing_groups : can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", g))])
    error_message = "IAM group names are 1-128 characters of letters, digits and + = , . @ _ -."
  }
}

variable "user_policy_arns" {
  description = "Managed policy ARNs to attach directly to the user (prefer groups)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for arn in var.user_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", arn))
    ]) && length(distinct(var.user_policy_arns)) == length(var.user_policy_arns)
    error_message = "user_policy_arns must be distinct policy ARNs such as arn:aws:iam::aws:policy/ReadOnlyAccess."
  }
}

variable "access_keys" {
  description = "Access keys by slot name (letters, digits, - and _, at most 16 characters), each with its status (\"Active\" or \"Inactive\"); at most two, as IAM allows. Their secrets are encrypted to pgp_key (required when any is given)."
  type = map(object({
    status = optional(string, "Active")
  }))
  default  = {}
  nullable = false

  validation {
    condition     = length(var.access_keys) <= 2
    error_message = "IAM allows at most two access keys per user."
  }

  validation {
    condition     = alltrue([for slot, k in var.access_keys : can(regex("^[A-Za-z0-9_-]{1,16}$", slot)) && contains(["Active", "Inactive"], k.status)])
    error_message = "Access key slots are named with 1-16 letters, digits, - or _, and each status is \"Active\" or \"Inactive\"."
  }
}

variable "create_login_profile" {
  description = "Whether to give the user a console password; it is generated by AWS and encrypted to pgp_key (required)."
  type        = bool
  default     = false
  nullable    = false
}

variable "password_reset_required" {
  description = "Whether the user must choose a new password at first console sign-in."
  type        = bool
  default     = true
  nullable    = false
}

variable "password_length" {
  description = "Length of the generated console password (8-128)."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.password_length >= 8 && var.password_length <= 128 && floor(var.password_length) == var.password_length
    error_message = "password_length must be a whole number from 8 to 128."
  }
}

variable "pgp_key" {
  description = "Base64 of the binary (not armored) PGP public key that encrypts the access key secret and console password; required when either is created."
  type        = string
  default     = null

  validation {
    condition     = var.pgp_key == null ? true : (length(var.pgp_key) % 4 == 0 && can(regex("^[A-Za-z0-9+/]+={0,2}$", var.pgp_key)))
    error_message = "pgp_key must be base64 of a binary PGP public key (e.g. `gpg --export KEYID | base64 -w0`)."
  }
}

variable "enforce_mfa" {
  description = "Whether to create a group \"<name>-mfa-required\" (path = path) holding AWS's documented policy that denies everything except managing one's own MFA device and password until the user signs in with MFA, and put the user in it."
  type        = bool
  default     = false
  nullable    = false
}
