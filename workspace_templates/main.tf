# Written by tfiam. The module is a copy kept inside this workspace, so the
# workspace keeps working (and can be reviewed) without tfiam installed.
module "iam_user" {
  source = "./modules/iam-user"

  name                 = var.user_name
  path                 = var.user_path
  tags                 = var.user_tags
  permissions_boundary = var.permissions_boundary
  force_destroy        = var.force_destroy

  groups           = var.groups
  existing_groups  = var.existing_groups
  user_policy_arns = var.user_policy_arns

  access_keys             = var.access_keys
  create_login_profile    = var.create_login_profile
  password_reset_required = var.password_reset_required
  password_length         = var.password_length
  pgp_key                 = var.pgp_key
  enforce_mfa             = var.enforce_mfa
}

# The state of a key rotation (tfiam rotate), kept in the state so that any admin with
# this state continues where the last one stopped. Absent until the first rotation.
resource "terraform_data" "key_rotation" {
  count = var.key_rotation == null ? 0 : 1

  input = var.key_rotation

  # Applied only once every key change of the step succeeded: an apply that fails or is
  # cut off half-way leaves the record behind the keys (the next run finishes the step),
  # never ahead of them.
  depends_on = [module.iam_user]
}

# The state of an offboarding (tfiam offboard): when and by whom the user was disabled,
# and what to restore if the offboarding is cancelled. Absent unless one is under way.
resource "terraform_data" "offboarding" {
  count = var.offboarding == null ? 0 : 1

  input = var.offboarding

  # As the rotation record: applied only after every change of the step succeeded.
  depends_on = [module.iam_user]
}
