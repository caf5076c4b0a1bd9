"""The Terraform code tfiam ships: ``modules/iam-user`` and ``workspace_templates/``.

Every check runs the real terraform binary against the real hashicorp/aws provider
schema (from the local mirror, offline).  Each test works on copies in its own
temporary folder, so nothing is ever written into the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MODULES = REPO / "modules"
MODULE = MODULES / "iam-user"
TEMPLATES = REPO / "workspace_templates"

# What the lead's renderer puts in place of each placeholder (an HCL string literal).
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
RENDERED = {"terraform_version": '">= 1.6.0"', "aws_provider_version": '"~> 5.0"'}

# The root-module contract (shared/notes/CONTRACT.md): terraform.tfvars.json keys
# and the outputs read by `terraform output -json`.
ROOT_VARIABLES = {
    "region", "profile", "endpoint", "user_name", "user_path", "user_tags",
    "permissions_boundary", "force_destroy", "groups", "existing_groups",
    "user_policy_arns", "access_keys", "key_rotation", "offboarding", "create_login_profile",
    "password_reset_required", "password_length", "pgp_key", "enforce_mfa",
}
ROOT_OUTPUTS = {
    "user_name", "user_arn", "group_names", "access_keys", "key_rotation", "offboarding", "access_key_id",
    "access_key_encrypted_secret", "access_key_key_fingerprint", "login_profile_encrypted_password",
    "login_profile_key_fingerprint",
}

# Text that Terraform would treat as a template if it were ever parsed as HCL.
TRICKY_DESCRIPTION = 'x" } resource "null" "y" { ${path.cwd} %{if true}'
TRICKY_RESOURCE = "arn:aws:s3:::acme-home/${aws:username}/*"


# --------------------------------------------------------------------------- helpers


def terraform(terraform_bin: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run terraform in ``cwd`` (a tmp folder) with its own data dir and an empty CLI config."""
    scratch = cwd / ".tf-scratch"
    scratch.mkdir(exist_ok=True)
    cli_config = scratch / "terraformrc"
    cli_config.write_text("")  # no operator config (dev_overrides, mirrors) leaks in
    env = dict(os.environ)
    env.update(
        TF_DATA_DIR=str(scratch / "data"),
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_IN_AUTOMATION="1",
        CHECKPOINT_DISABLE="1",
    )
    assert REPO not in cwd.resolve().parents, "terraform must only run on tmp copies"
    return subprocess.run(
        [terraform_bin, *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def init(terraform_bin: str, plugin_dir: str, cwd: Path) -> None:
    done = terraform(terraform_bin, ["init", "-backend=false", f"-plugin-dir={plugin_dir}", "-input=false"], cwd)
    assert done.returncode == 0, f"terraform init failed in {cwd}:\n{done.stdout}\n{done.stderr}"


def copy_module(dest: Path) -> Path:
    """The module as a workspace gets it (no examples, no terraform working data)."""
    shutil.copytree(MODULE, dest, ignore=shutil.ignore_patterns("examples", ".terraform*", "*.tfstate*"))
    return dest


def render_workspace(dest: Path) -> Path:
    """Render workspace_templates/ plus the module copy the way tfiam lays a workspace out."""
    dest.mkdir(parents=True)
    for src in sorted(TEMPLATES.iterdir()):
        if not src.is_file():
            continue
        text = src.read_text(encoding="utf-8")
        name = src.name
        if name.endswith(".tmpl"):
            name = name.removesuffix(".tmpl")
            unknown = set(PLACEHOLDER.findall(text)) - set(RENDERED)
            assert not unknown, f"{src.name} uses placeholders the renderer does not fill: {unknown}"
            text = PLACEHOLDER.sub(lambda m: RENDERED[m.group(1)], text)
        else:
            assert not PLACEHOLDER.search(text), f"{src.name} has a placeholder but is not a .tmpl"
        (dest / (".gitignore" if name == "gitignore" else name)).write_text(text, encoding="utf-8")
    copy_module(dest / "modules" / "iam-user")
    return dest


def blocks(path: Path, kind: str) -> dict[str, str]:
    """Top-level ``kind "name" { ... }`` blocks of a fmt-clean .tf file, by name."""
    text = path.read_text(encoding="utf-8")
    return dict(re.findall(rf'^{kind} "([^"]+)" \{{\n(.*?)^\}}', text, flags=re.M | re.S))


# --------------------------------------------------------------------------- formatting and validity


def test_terraform_code_is_fmt_clean_including_rendered_templates(terraform_bin, tmp_path):
    modules = tmp_path / "modules"
    shutil.copytree(MODULES, modules, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    done = terraform(terraform_bin, ["fmt", "-check", "-diff", "-recursive", "."], modules)
    assert done.returncode == 0, f"modules/ is not terraform-fmt clean:\n{done.stdout}{done.stderr}"

    workspace = render_workspace(tmp_path / "ws")
    assert 'required_version = ">= 1.6.0"' in (workspace / "versions.tf").read_text()
    done = terraform(terraform_bin, ["fmt", "-check", "-diff", "-recursive", "."], workspace)
    assert done.returncode == 0, f"rendered workspace is not terraform-fmt clean:\n{done.stdout}{done.stderr}"


def _module_copy(tmp: Path) -> Path:
    return copy_module(tmp / "iam-user")


def _example_copy(tmp: Path) -> Path:
    shutil.copytree(MODULE, tmp / "iam-user", ignore=shutil.ignore_patterns(".terraform*"))
    return tmp / "iam-user" / "examples" / "basic"


def _workspace_copy(tmp: Path) -> Path:
    return render_workspace(tmp / "ws")


@pytest.mark.parametrize(
    "make", [_module_copy, _example_copy, _workspace_copy], ids=["module", "example-basic", "workspace"]
)
def test_configuration_validates(make, terraform_bin, tf_plugin_dir, tmp_path):
    root = make(tmp_path)
    init(terraform_bin, tf_plugin_dir, root)
    done = terraform(terraform_bin, ["validate"], root)
    assert done.returncode == 0, f"terraform validate failed:\n{done.stdout}\n{done.stderr}"
    assert "The configuration is valid" in done.stdout


# Each module call breaks exactly one rule; validate must name that rule for that call.
BAD_INPUTS = {
    "name_too_long": ('name = "' + "a" * 65 + '"', "IAM user names are 1-64 characters"),
    "name_with_space": ('name = "alice smith"', "IAM user names are 1-64 characters"),
    "path_without_slashes": ('path = "engineering"', "An IAM path is"),
    "too_many_tags": (
        "tags = {" + ", ".join(f"k{i} = \"v\"" for i in range(51)) + "}",
        "IAM allows at most 50 tags on a user",
    ),
    "password_too_short": ("password_length = 7", "password_length must be a whole number from 8 to 128"),
    "status_not_active_or_inactive": ('access_keys = { a = { status = "Enabled" } }', 'each status is "Active" or "Inactive"'),
    "bad_slot_name": ('access_keys = { "a b" = {} }', "Access key slots are named with 1-16 letters"),
    "three_keys": ("access_keys = { a = {}, b = {}, c = {} }", "IAM allows at most two access keys per user"),
    "lowercase_effect": (
        'groups = [{ name = "dev", custom_policy = { name = "p", statements = '
        '[{ effect = "allow", actions = ["s3:GetObject"], resources = ["*"] }] } }]',
        'Each statement needs effect "Allow" or "Deny"',
    ),
    "armored_pgp_key": ('pgp_key = "-----BEGIN PGP PUBLIC KEY BLOCK-----"', "pgp_key must be base64 of a binary PGP public key"),
}


def test_validate_rejects_each_broken_rule_with_its_message(terraform_bin, tf_plugin_dir, tmp_path):
    copy_module(tmp_path / "iam-user")
    root = tmp_path / "root"
    root.mkdir()
    calls = []
    for call, (line, _message) in BAD_INPUTS.items():
        extra = "" if line.startswith("name =") else '  name   = "alice"\n'
        calls.append(f'module "{call}" {{\n  source = "../iam-user"\n{extra}  {line}\n}}\n')
    (root / "main.tf").write_text("\n".join(calls))
    init(terraform_bin, tf_plugin_dir, root)

    done = terraform(terraform_bin, ["validate"], root)

    assert done.returncode != 0
    output = done.stdout + done.stderr
    diagnostics = [" ".join(d.split()) for d in output.split("Error: ")[1:]]
    for call, (_line, message) in BAD_INPUTS.items():
        mine = [d for d in diagnostics if f'in module "{call}"' in d]
        assert any(message in d for d in mine), f"{call}: expected {message!r} in\n" + "\n".join(mine or [output])


# --------------------------------------------------------------------------- plan-time behaviour (mock provider)


def test_plan_keeps_policy_text_literal_and_requires_pgp_for_secrets(terraform_bin, tf_plugin_dir, tmp_path):
    """``terraform test`` with a mocked provider: a real plan, no AWS needed.

    The policy input comes from terraform.tfvars.json (as in a tfiam workspace); its
    ``${...}`` and ``%{...}`` must reach the planned aws_iam_policy unchanged.
    """
    module = copy_module(tmp_path / "iam-user")
    (module / "terraform.tfvars.json").write_text(json.dumps({
        "name": "alice",
        "groups": [{
            "name": "dev",
            "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "custom_policy": {
                "name": "home",
                "description": TRICKY_DESCRIPTION,
                "statements": [
                    {"sid": None, "effect": "Allow", "actions": ["s3:GetObject"], "resources": [TRICKY_RESOURCE]},
                    {"sid": "NoDelete", "effect": "Deny", "actions": ["s3:DeleteObject"], "resources": ["*"]},
                ],
            },
        }],
    }))
    expected_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [TRICKY_RESOURCE]},
            {"Sid": "NoDelete", "Effect": "Deny", "Action": ["s3:DeleteObject"], "Resource": ["*"]},
        ],
    }
    tests = module / "tests"
    tests.mkdir()
    (tests / "expected_policy.json").write_text(json.dumps(expected_policy))
    (tests / "expected_description.txt").write_text(TRICKY_DESCRIPTION)  # file() reads it verbatim
    (tests / "plan.tftest.hcl").write_text(
        """
mock_provider "aws" {}

run "policy_text_is_literal" {
  command = plan
  assert {
    condition     = jsondecode(aws_iam_policy.custom["dev"].policy) == jsondecode(file("tests/expected_policy.json"))
    error_message = "policy JSON differs: ${aws_iam_policy.custom["dev"].policy}"
  }
  assert {
    condition     = aws_iam_policy.custom["dev"].description == file("tests/expected_description.txt")
    error_message = "description differs: ${aws_iam_policy.custom["dev"].description}"
  }
  assert {
    condition     = keys(aws_iam_group_policy_attachment.managed) == ["dev|arn:aws:iam::aws:policy/ReadOnlyAccess"]
    error_message = "managed attachments are not keyed group|arn"
  }
}

run "access_key_without_pgp_key_fails" {
  command = plan
  variables {
    access_keys = { a = {} }
  }
  expect_failures = [aws_iam_access_key.this]
}

run "login_profile_without_pgp_key_fails" {
  command = plan
  variables {
    create_login_profile = true
  }
  expect_failures = [aws_iam_user_login_profile.this]
}

run "secrets_with_pgp_key_plan" {
  command = plan
  variables {
    access_keys          = { a = {} }
    create_login_profile = true
    pgp_key              = "bWFkZSB1cCBrZXk="
  }
  assert {
    condition = (
      aws_iam_access_key.this["a"].pgp_key == "bWFkZSB1cCBrZXk=" &&
      aws_iam_access_key.this["a"].status == "Active" &&
      aws_iam_user_login_profile.this[0].pgp_key == "bWFkZSB1cCBrZXk="
    )
    error_message = "secrets are not encrypted to pgp_key"
  }
}
"""
    )
    init(terraform_bin, tf_plugin_dir, module)

    done = terraform(terraform_bin, ["test"], module)

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "4 passed, 0 failed" in output


# --------------------------------------------------------------------------- interface


def test_no_output_exposes_a_plaintext_secret():
    plaintext = re.compile(r"\.(secret|password|ses_smtp_password_v4)\b|ses_smtp")
    module_outputs = blocks(MODULE / "outputs.tf", "output")
    root_outputs = blocks(TEMPLATES / "outputs.tf", "output")
    assert set(root_outputs) == ROOT_OUTPUTS
    assert {"access_key_encrypted_secret", "login_profile_encrypted_password"} <= set(module_outputs)
    for where, outputs in (("module", module_outputs), ("workspace", root_outputs)):
        for name, body in outputs.items():
            value = re.search(r"^\s*value\s*=\s*(.+)$", body, flags=re.M).group(1)
            assert not plaintext.search(value), f"{where} output {name} exposes a plaintext secret: {value}"
            assert re.search(r'^\s*description\s*=\s*"\S', body, flags=re.M), f"{where} output {name} has no description"


def test_every_variable_is_typed_and_described_and_the_root_matches_the_contract():
    module_vars = blocks(MODULE / "variables.tf", "variable")
    root_vars = blocks(TEMPLATES / "variables.tf", "variable")
    assert set(root_vars) == ROOT_VARIABLES
    assert {"name", "path", "groups", "pgp_key", "access_keys", "password_length"} <= set(module_vars)
    for where, variables in (("module", module_vars), ("workspace", root_vars)):
        for name, body in variables.items():
            assert re.search(r"^  type\s*=", body, flags=re.M), f"{where} variable {name} has no type"
            assert re.search(r"^  description\s*=", body, flags=re.M), f"{where} variable {name} has no description"
