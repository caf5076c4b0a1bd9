output "bucket" {
  description = "Name of the state bucket."
  value       = module.state_backend.bucket
}

output "dynamodb_table" {
  description = "Name of the lock table, or null."
  value       = module.state_backend.dynamodb_table
}
