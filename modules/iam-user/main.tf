# One IAM user, the groups that carry its permissions, and (optionally) an access
# key and a console password, both encrypted to the operator's PGP key.
#
# Policy documents are built with jsonencode() from plain input values, never with
# the aws_iam_policy_document data source or string templates, so text such as
# "${aws:username}" reaches IAM exactly as the caller wrote it.

locals {
  groups_by_name = { for g in var.groups : g.name => g }

  # One entry per (group, managed policy) pair, keyed "group|arn": stable when
  # groups or policies are added or removed elsewhere in the lists ("|" cannot
  # occur in a group name).
  group_policy_attachments = merge([
    for g in var.groups : {
      for arn in g.managed_policy_arns : "${g.name}|${arn}" => {
        group      = g.name
        policy_arn = arn
      }
    }
  ]...)

  custom_policies = {
    for g in var.groups : g.name => g.custom_policy if g.custom_policy != null
  }

  # IAM policy JSON per group. "Sid" is left out when not given; Action and
  # Resource are always lists.
  custom_policy_documents = {
    for group, p in local.custom_policies : group => jsonencode({
      Version = "2012-10-17"
      Statement = [
        for s in p.statements : merge(
          s.sid == null ? {} : { Sid = s.sid },
          {
            Effect   = s.effect
            Action   = s.actions
            Resource = s.resources
          }
        )
      ]
    })
  }

  all_group_names = concat(
    [for g in var.groups : aws_iam_group.this[g.name].name],
    aws_iam_group.mfa[*].name,
    var.existing_groups,
  )

  mfa_name = "${var.name}-mfa-required"

  # The slot of the newest access key (by creation time, then slot name): the key a
  # rotation hands over.  create_date is RFC 3339 in UTC, so text order is time order.
  newest_key = length(aws_iam_access_key.this) == 0 ? null : split("|", reverse(sort([
    for slot, k in aws_iam_access_key.this : "${k.create_date}|${slot}"
  ]))[0])[1]
}

resource "aws_iam_user" "this" {
  name                 = var.name
  path                 = var.path
  permissions_boundary = var.permissions_boundary
  force_destroy        = var.force_destroy
  tags                 = var.tags
}

resource "aws_iam_group" "this" {
  for_each = local.groups_by_name

  name = each.key
  path = var.path

  lifecycle {
    # A group dropped from the answers is deleted only after the user's membership was
    # updated to leave it: IAM refuses to delete a group that still has members
    # (DeleteConflict), and without this terraform deletes the group first.
    create_before_destroy = true
  }
}

resource "aws_iam_group_policy_attachment" "managed" {
  for_each = local.group_policy_attachments

  group      = aws_iam_group.this[each.value.group].name
  policy_arn = each.value.policy_arn
}

resource "aws_iam_policy" "custom" {
  for_each = local.custom_policies

  name        = each.value.name
  path        = var.path
  description = each.value.description
  policy      = local.custom_policy_documents[each.key]
}

resource "aws_iam_group_policy_attachment" "custom" {
  for_each = local.custom_policies

  group      = aws_iam_group.this[each.key].name
  policy_arn = aws_iam_policy.custom[each.key].arn
}

# MFA enforcement (enforce_mfa): AWS's documented policy, kept verbatim in
# mfa_policy.json. Until the user signs in with MFA, everything is denied except
# seeing and managing their own MFA device and password (and sts:GetSessionToken,
# to get an MFA session for the CLI).
resource "aws_iam_group" "mfa" {
  count = var.enforce_mfa ? 1 : 0

  name = local.mfa_name
  path = var.path

  lifecycle {
    create_before_destroy = true # as aws_iam_group.this: leave the group before it is deleted

    precondition {
      condition     = !contains([for g in concat([for g in var.groups : g.name], var.existing_groups) : lower(g)], lower(local.mfa_name))
      error_message = "enforce_mfa creates the group ${local.mfa_name}; a group of that name is already listed in groups or existing_groups."
    }
  }
}

resource "aws_iam_policy" "mfa" {
  count = var.enforce_mfa ? 1 : 0

  name        = local.mfa_name
  path        = var.path
  description = "Deny everything except MFA self-management until signed in with MFA"
  policy      = file("${path.module}/mfa_policy.json")
}

resource "aws_iam_group_policy_attachment" "mfa" {
  count = var.enforce_mfa ? 1 : 0

  group      = aws_iam_group.mfa[0].name
  policy_arn = aws_iam_policy.mfa[0].arn
}

resource "aws_iam_user_group_membership" "this" {
  count = length(local.all_group_names) > 0 ? 1 : 0

  user   = aws_iam_user.this.name
  groups = local.all_group_names
}

resource "aws_iam_user_policy_attachment" "this" {
  for_each = toset(var.user_policy_arns)

  user       = aws_iam_user.this.name
  policy_arn = each.value
}

# Access keys live in named slots (tfiam uses "a" and "b"), so a rotation can add a
# second key, deactivate the first and later delete it, each step touching one slot.
resource "aws_iam_access_key" "this" {
  for_each = var.access_keys

  user    = aws_iam_user.this.name
  status  = each.value.status
  pgp_key = var.pgp_key

  lifecycle {
    # The provider replaces the key whenever pgp_key changes, and the export changes
    # with every new UID, signature or expiry, or another admin's keyring: a replay
    # would delete a live key. Re-encrypting is rotation's job, never a side effect.
    ignore_changes = [pgp_key]

    precondition {
      condition     = var.pgp_key != null
      error_message = "An access key needs pgp_key: the secret access key is only ever stored encrypted to your PGP key."
    }
  }
}

# Workspaces written before key slots held the one key at index 0.
moved {
  from = aws_iam_access_key.this[0]
  to   = aws_iam_access_key.this["a"]
}

resource "aws_iam_user_login_profile" "this" {
  count = var.create_login_profile ? 1 : 0

  user                    = aws_iam_user.this.name
  pgp_key                 = var.pgp_key
  password_length         = var.password_length
  password_reset_required = var.password_reset_required

  lifecycle {
    # AWS never reports these back, so without this every plan after the first
    # would want to replace the login profile (and with it, the password).
    ignore_changes = [password_length, password_reset_required, pgp_key]

    precondition {
      condition     = var.pgp_key != null
      error_message = "create_login_profile = true needs pgp_key: the console password is only ever stored encrypted to your PGP key."
    }
  }
}
