# Written by tfiam. State stays in this folder (terraform.tfstate); keep it out of
# version control: it holds the encrypted secrets and everything about the user.
terraform {
  backend "local" {
    path = "terraform.tfstate"
  }
}
