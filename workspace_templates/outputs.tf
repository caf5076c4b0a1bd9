# Written by tfiam. Read with `terraform output -json`. No output holds a
# plaintext secret: the secret access key and the console password exist only
# PGP-encrypted (decrypt with: terraform output -raw NAME | base64 -d | gpg --decrypt).

output "user_name" {
  description = "Name of the IAM user."
  value       = module.iam_user.user_name
}

output "user_arn" {
  description = "ARN of the IAM user."
  value       = module.iam_user.user_arn
}

output "group_names" {
  description = "Groups the user is a member of (created here, then existing ones)."
  value       = module.iam_user.group_names
}

output "access_keys" {
  description = "Every access key by slot: id, status, create_date, encrypted_secret, key_fingerprint."
  value       = module.iam_user.access_keys
}

output "key_rotation" {
  description = "tfiam rotate's record (JSON), or null before the first rotation."
  value       = one(terraform_data.key_rotation[*].output)
}

output "offboarding" {
  description = "tfiam offboard's record (JSON), or null unless an offboarding is under way."
  value       = one(terraform_data.offboarding[*].output)
}

output "access_key_id" {
  description = "ID of the newest access key (the one to hand over), or null when there is none."
  value       = module.iam_user.access_key_id
}

output "access_key_encrypted_secret" {
  description = "Secret of the newest access key, PGP-encrypted and base64-encoded, or null."
  value       = module.iam_user.access_key_encrypted_secret
}

output "access_key_key_fingerprint" {
  description = "Fingerprint of the PGP key the access key secret is encrypted to, or null."
  value       = module.iam_user.access_key_key_fingerprint
}

output "login_profile_encrypted_password" {
  description = "Console password, PGP-encrypted and base64-encoded, or null."
  value       = module.iam_user.login_profile_encrypted_password
}

output "login_profile_key_fingerprint" {
  description = "Fingerprint of the PGP key the console password is encrypted to, or null."
  value       = module.iam_user.login_profile_key_fingerprint
}
