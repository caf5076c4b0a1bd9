# Written by tfiam. The state lives in S3, encrypted and locked. The settings are in
# s3.tfbackend, which tfiam passes to `terraform init -backend-config=s3.tfbackend`
# (run that yourself to use this workspace without tfiam).
terraform {
  backend "s3" {}
}
