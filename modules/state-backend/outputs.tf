output "bucket" {
  description = "Name of the state bucket."
  value       = aws_s3_bucket.state.id
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.state.arn
}

output "dynamodb_table" {
  description = "Name of the lock table, or null when none was asked for."
  value       = one(aws_dynamodb_table.lock[*].name)
}
