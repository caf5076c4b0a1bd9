# Written by tfiam. Credentials never appear here: the provider finds them the
# usual way (var.profile, environment, SSO, instance role).
#
# When var.endpoint is set (a local stand-in AWS such as the tfiam sandbox),
# IAM, STS, S3 and DynamoDB calls go there and the provider skips the checks that
# only real AWS can answer.
provider "aws" {
  region  = var.region
  profile = var.profile

  # tfiam checks the region against the installed botocore (and TFIAM_EXTRA_REGIONS);
  # the provider's own list is compiled in and lags (5.100 refuses sa-west-1).
  skip_region_validation = true

  skip_credentials_validation = var.endpoint != null
  skip_requesting_account_id  = var.endpoint != null
  skip_metadata_api_check     = var.endpoint != null
  s3_use_path_style           = var.endpoint != null

  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      iam      = endpoints.value
      sts      = endpoints.value
      s3       = endpoints.value
      dynamodb = endpoints.value
    }
  }
}
