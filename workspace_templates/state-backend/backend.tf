# Written by tfiam. The bootstrap workspace is scratch: the bucket and table are
# found in AWS on every run (and imported), so its local state is thrown away.
terraform {
  backend "local" {
    path = "terraform.tfstate"
  }
}
