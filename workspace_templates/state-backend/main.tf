# Written by `tfiam backend bootstrap`: what the s3 backend of a tfiam workspace needs.
# The module is a copy kept in this folder. Resources that already exist are imported
# (imports.tf), never created twice.
module "state_backend" {
  source = "./modules/state-backend"

  bucket                 = var.bucket
  kms_key_id             = var.kms_key_id
  dynamodb_table         = var.dynamodb_table
  existing_bucket_policy = var.existing_bucket_policy
  tags                   = var.tags
}
