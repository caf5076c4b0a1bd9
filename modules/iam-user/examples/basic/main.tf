# A CI user: read-only access through a group, a custom policy on its own S3
# prefix, and an access key whose secret is encrypted to the operator's PGP key.
#
#   terraform init
#   terraform apply -var "pgp_key=$(gpg --export ops@example.com | base64 -w0)"
#   terraform output -raw access_key_encrypted_secret | base64 -d | gpg --decrypt

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }
}

provider "aws" {
  region = "eu-central-1"
}

variable "pgp_key" {
  description = "Base64 of the binary PGP public key the access key secret is encrypted to."
  type        = string
}

module "ci_bot" {
  source = "../.."

  name = "ci-bot"
  path = "/automation/"
  tags = {
    team = "platform"
  }

  groups = [
    {
      name                = "ci-readers"
      managed_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    },
    {
      name = "ci-artifacts"
      custom_policy = {
        name        = "ci-artifacts-own-prefix"
        description = "Read and write the user's own prefix of the artifacts bucket"
        statements = [
          {
            sid       = "OwnPrefix"
            effect    = "Allow"
            actions   = ["s3:GetObject", "s3:PutObject"]
            resources = ["arn:aws:s3:::acme-artifacts/$${aws:username}/*"]
          },
        ]
      }
    },
  ]

  access_keys = { a = {} }
  pgp_key     = var.pgp_key
}

output "user_arn" {
  description = "ARN of the CI user."
  value       = module.ci_bot.user_arn
}

output "access_key_id" {
  description = "ID of the CI user's access key."
  value       = module.ci_bot.access_key_id
}

output "access_key_encrypted_secret" {
  description = "The secret access key, PGP-encrypted and base64-encoded."
  value       = module.ci_bot.access_key_encrypted_secret
}
