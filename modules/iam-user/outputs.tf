# No output carries a plaintext secret: only the PGP-encrypted forms and the
# fingerprint of the key they are encrypted to.

output "user_name" {
  description = "Name of the IAM user."
  value       = aws_iam_user.this.name
}

output "user_arn" {
  description = "ARN of the IAM user."
  value       = aws_iam_user.this.arn
}

output "user_unique_id" {
  description = "Stable unique ID of the IAM user (AIDA...)."
  value       = aws_iam_user.this.unique_id
}

output "group_names" {
  description = "Every group the user is a member of: the groups created here, then existing_groups."
  value       = local.all_group_names
}

output "custom_policy_arns" {
  description = "ARN of each custom policy, by the name of the group it is attached to."
  value       = { for group, p in aws_iam_policy.custom : group => p.arn }
}

output "access_keys" {
  description = "Every access key by slot: id, status, create_date, the PGP-encrypted secret (base64) and the fingerprint of the key it is encrypted to."
  value = {
    for slot, k in aws_iam_access_key.this : slot => {
      id               = k.id
      status           = k.status
      create_date      = k.create_date
      encrypted_secret = k.encrypted_secret
      key_fingerprint  = k.key_fingerprint
    }
  }
}

output "access_key_id" {
  description = "ID of the newest access key (the one to hand over), or null when there is none."
  value       = local.newest_key == null ? null : aws_iam_access_key.this[local.newest_key].id
}

output "access_key_encrypted_secret" {
  description = "Secret of the newest access key, PGP-encrypted to pgp_key and base64-encoded; null when there is none. Decrypt with: base64 -d | gpg --decrypt"
  value       = local.newest_key == null ? null : aws_iam_access_key.this[local.newest_key].encrypted_secret
}

output "access_key_key_fingerprint" {
  description = "Fingerprint of the PGP key the newest access key's secret is encrypted to, or null."
  value       = local.newest_key == null ? null : aws_iam_access_key.this[local.newest_key].key_fingerprint
}

output "login_profile_encrypted_password" {
  description = "Console password, PGP-encrypted to pgp_key and base64-encoded; null when no login profile was created. Decrypt with: base64 -d | gpg --decrypt"
  value       = one(aws_iam_user_login_profile.this[*].encrypted_password)
}

output "login_profile_key_fingerprint" {
  description = "Fingerprint of the PGP key the console password is encrypted to, or null."
  value       = one(aws_iam_user_login_profile.this[*].key_fingerprint)
}
