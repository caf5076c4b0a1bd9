# An S3 bucket (and optionally a DynamoDB table) for Terraform's s3 backend: versioned,
# encrypted by default, closed to the public, reachable over TLS only.

locals {
  # From the name, not from the bucket resource: a pending change to the bucket must
  # not turn the policy into "known after apply".
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket}"
}

data "aws_partition" "current" {}

resource "aws_s3_bucket" "state" {
  bucket = var.bucket
  tags   = var.tags

  lifecycle {
    # State is the only record of what Terraform manages: never delete it by accident.
    prevent_destroy = true
    # Tags are set when the bucket is created; tags added later (by anyone) are left
    # alone, so adopting an existing bucket never strips its tags.
    ignore_changes = [tags]
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_id == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_id
    }
    bucket_key_enabled = var.kms_key_id != null
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "state" {
  # Statements someone else put on an existing bucket are kept.
  source_policy_documents = var.existing_bucket_policy == null ? [] : [var.existing_bucket_policy]

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state.json

  # S3 rejects a policy while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.state]
}

resource "aws_dynamodb_table" "lock" {
  count = var.dynamodb_table == null ? 0 : 1

  name         = var.dynamodb_table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"
  tags         = var.tags

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  lifecycle {
    prevent_destroy = true
    ignore_changes  = [tags]
  }
}
