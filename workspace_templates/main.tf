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

  # An offboarding's record is written before any change of the user and removed after
  # the last one: a disable, cancel or delete cut off half-way leaves the record in the
  # state, so the next run goes on in the same direction (see terraform_data.offboarding).
  depends_on = [terraform_data.offboarding]
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
# Unlike the rotation record it comes first: the module depends on it, so a disable that
# stops half-way is finished by the next run (which writes the user as disabled) rather
# than undone by a replay, and a delete or cancel removes it only after everything else.
resource "terraform_data" "offboarding" {
  count = var.offboarding == null ? 0 : 1

  input = var.offboarding
}
