"""tfiam: put an AWS IAM user under Terraform the right way."""

__version__ = "0.1.0"
