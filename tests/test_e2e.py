"""End to end: the real ``tfiam`` console script, terraform and the hashicorp/aws
provider against a moto server, with real GnuPG keys.

Each test applies one workspace (one user); checks are grouped so that one apply
proves many things.  They run in parallel under ``pytest -n``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml

from tests.answers_data import apply_changes
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
TFIAM = str(Path(sys.executable).parent / "tfiam")
HOSTILE = 'x" } resource "null" "y" { ${path.cwd} %{if true}'
POLICY_VARIABLE_ARN = "arn:aws:s3:::acme-home/${aws:username}/*"


def run_tfiam(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 600):
    """Run the installed ``tfiam`` script; stdin is not a terminal (like CI)."""
    return subprocess.run(
        [TFIAM, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout,
    )


def answers_file(tmp_path: Path, example: str, endpoint: str | None, **changes) -> Path:
    """An example answers file pointed at the test's moto server, with ``changes``
    (dotted paths) applied, written into ``tmp_path``."""
    data = yaml.safe_load((EXAMPLES / example).read_text())
    if endpoint:
        data["provider"]["endpoint"] = endpoint
    data["workspace"] = "./ws"
    apply_changes(data, changes)
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def iam(endpoint: str, region: str = "eu-central-1", key: tuple[str, str] = ("testing", "testing")):
    return boto3.client("iam", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key[0], aws_secret_access_key=key[1])


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every regular file below ``root`` (symlinks not followed) that contains ``needle``."""
    hits = []
    blob = needle.encode()
    for dirpath, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            p = Path(dirpath, name)
            if p.is_symlink() or not p.is_file():
                continue
            if blob in p.read_bytes():
                hits.append(p)
    return hits


def test_ci_bot_replay_verify_decrypt_and_second_replay_is_clean(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    name = "ci-bot-e2e"
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name)
    first = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert first.returncode == Exit.OK, first.stdout + first.stderr
    assert "Plan: 7 to add, 0 to change, 0 to destroy." in first.stdout
    assert "[FAIL]" not in first.stdout
    assert f"signs in as arn:aws:iam::123456789012:user/{name}" in first.stdout

    # The account holds what the answers say (checked here independently of tfiam's verify).
    client = iam(moto_endpoint)
    assert [g["GroupName"] for g in client.list_groups_for_user(UserName=name)["Groups"]] == ["ci-group"]
    attached = {p["PolicyName"] for p in client.list_attached_group_policies(GroupName="ci-group")["AttachedPolicies"]}
    assert attached == {"PowerUserAccess", "ci-policy"}
    assert client.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []  # through groups only
    tags = {t["Key"]: t["Value"] for t in client.list_user_tags(UserName=name)["Tags"]}
    assert tags == {"Owner": "platform", "Purpose": "ci", "Expiry": "2027-06-30"}

    ws = tmp_path / "ws"
    out = tmp_path / "handover" / "creds.json"
    out.parent.mkdir()
    dec = run_tfiam("decrypt", "--workspace", str(ws), "--format", "json", "--output", str(out))
    assert dec.returncode == Exit.OK, dec.stderr
    assert (out.stat().st_mode & 0o777) == 0o600
    creds = json.loads(out.read_text())
    assert creds["password"] is None
    secret = creds["secret_access_key"]
    assert len(secret) >= 20

    # The decrypted key works against STS and is the new user.
    sts = boto3.client("sts", endpoint_url=moto_endpoint, region_name="eu-central-1",
                       aws_access_key_id=creds["access_key_id"], aws_secret_access_key=secret)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::123456789012:user/{name}"

    # Handing over happens once: no overwrite, no plaintext into a pipe without --output -.
    again = run_tfiam("decrypt", "--workspace", str(ws), "--output", str(out))
    assert again.returncode == Exit.REFUSED and "already exists" in again.stderr
    piped = run_tfiam("decrypt", "--workspace", str(ws))
    assert piped.returncode == Exit.REFUSED and secret not in piped.stdout
    profile = run_tfiam("decrypt", "--workspace", str(ws), "--format", "credentials", "--output", "-")
    assert profile.stdout == (
        f"[{name}]\naws_access_key_id = {creds['access_key_id']}\naws_secret_access_key = {secret}\n"
    )

    # Without the secret key (another machine, another keyring): a clear failure, exit 8.
    empty = tmp_path / "empty-gnupg"
    empty.mkdir(mode=0o700)
    no_key = run_tfiam("decrypt", "--workspace", str(ws), "--output", "-", env={"GNUPGHOME": str(empty)})
    assert no_key.returncode == Exit.DECRYPT_FAILED, no_key.stderr
    assert "cannot decrypt: no secret key for" in no_key.stderr and "Traceback" not in no_key.stderr
    no_home = run_tfiam("decrypt", "--workspace", str(ws), "--output", "-", env={"GNUPGHOME": str(tmp_path / "nope")})
    assert no_home.returncode == Exit.DECRYPT_FAILED and "check GNUPGHOME" in no_home.stderr

    # A second replay of the same answers changes nothing.
    second = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert second.returncode == Exit.OK, second.stdout + second.stderr
    assert "No changes." in second.stdout
    assert "terraform apply: skipped" in second.stdout

    # The plaintext secret is nowhere but the handover file: not in the workspace
    # (state, backups, plan, tfvars), not in HOME, not in anything tfiam printed.
    assert files_containing(ws, secret) == []
    assert files_containing(Path(os.environ["HOME"]), secret) == []
    for result in (first, second, dec, again, piped):
        assert secret not in result.stdout + result.stderr
    state = ws / "terraform.tfstate"
    assert (state.stat().st_mode & 0o777) == 0o600
    assert not list(ws.rglob("*.tfplan"))  # no plan left behind, applied or not

    # Each run left a redacted support log in the workspace, owner-only.
    logs = sorted((ws / ".tfiam" / "logs").glob("*-replay.log"))
    assert len(logs) == 2
    assert all((log.stat().st_mode & 0o777) == 0o600 for log in logs)
    first_log = logs[0].read_text()
    assert "Apply complete! Resources: 7 added" in first_log and "[ok] access key works" in first_log
    encrypted = json.loads((ws / "terraform.tfstate").read_text())["outputs"]["access_key_encrypted_secret"]["value"]
    assert encrypted[:60] not in first_log


def test_console_user_hostile_strings_and_passphrase_key(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    """One apply: a console user whose password is encrypted to a passphrase-protected
    ed25519/cv25519 key, a permissions boundary, tags in other scripts, and a custom
    policy with a hostile description and an IAM policy variable."""
    name = "jane.e2e"
    statements = [
        {"sid": "OwnPrefix", "effect": "Allow", "actions": ["s3:GetObject"], "resources": [POLICY_VARIABLE_ARN]},
    ]
    answers = answers_file(
        tmp_path, "console-user.yaml", moto_endpoint,
        user__name=name,
        user__tags={"Owner": "Zoë", "Purpose": "東京 audits", "Expiry": "2027-03-31"},
        user__permissions_boundary="arn:aws:iam::aws:policy/ReadOnlyAccess",
        authentication__pgp_key=gnupghome.pw_fpr,
        permissions__groups=[{
            "name": "auditors-e2e",
            "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "custom_policy": {"name": "own-prefix-e2e", "description": HOSTILE, "statements": statements},
        }],
    )
    passfile = tmp_path / "passphrase"
    passfile.write_text(gnupghome.pw_passphrase + "\n")
    os.chmod(passfile, 0o600)
    result = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir,
                       "--passphrase-file", str(passfile))
    assert result.returncode == Exit.OK, result.stdout + result.stderr
    assert "[ok] console login profile" in result.stdout

    client = iam(moto_endpoint, region="eu-west-1")
    user = client.get_user(UserName=name)["User"]
    assert user["Path"] == "/people/"
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    tags = {t["Key"]: t["Value"] for t in client.list_user_tags(UserName=name)["Tags"]}
    assert tags["Owner"] == "Zoë" and tags["Purpose"] == "東京 audits"
    client.get_login_profile(UserName=name)  # raises when missing
    arn = next(p["PolicyArn"] for p in client.list_attached_group_policies(GroupName="auditors-e2e")["AttachedPolicies"]
               if p["PolicyName"] == "own-prefix-e2e")
    policy = client.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Description"] == HOSTILE
    doc = client.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    if isinstance(doc, str):
        doc = json.loads(doc)
    stmt = doc["Statement"][0]
    resources = stmt["Resource"] if isinstance(stmt["Resource"], list) else [stmt["Resource"]]
    assert resources == [POLICY_VARIABLE_ARN]

    out = tmp_path / "creds.csv"
    dec = run_tfiam("decrypt", "--workspace", str(tmp_path / "ws"), "--format", "csv", "--output", str(out),
                    "--passphrase-file", str(passfile))
    assert dec.returncode == Exit.OK, dec.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["User name", "Password", "Access key ID", "Secret access key", "Console login link"]
    assert rows[1][0] == name and len(rows[1][1]) == 24 and rows[1][2] == ""
    assert rows[1][4] == "https://123456789012.signin.aws.amazon.com/console"
    password = rows[1][1]
    assert files_containing(tmp_path / "ws", password) == []
    assert password not in result.stdout + result.stderr + dec.stdout + dec.stderr

    # A wrong passphrase is a clear failure that never echoes it.
    passfile.write_text("not the passphrase\n")
    bad = run_tfiam("decrypt", "--workspace", str(tmp_path / "ws"), "--output", "-", "--passphrase-file", str(passfile))
    assert bad.returncode == Exit.DECRYPT_FAILED
    assert "bad passphrase" in bad.stderr and "not the passphrase" not in bad.stderr

    # A second plan is clean: nothing drifts (boundary, login profile, tags).
    second = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir,
                       "--passphrase-file", str(passfile))
    assert "No changes." in second.stdout, second.stdout + second.stderr


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"user__name": "ci bot"}, "user.name"),
        ({"user__tags": {"Owner": "a$b"}}, "user.tags.Owner"),
        ({"provider__region": "moon-1"}, "provider.region"),
        ({"authentication__pgp_key": "nobody@example.com"}, "authentication.pgp_key"),
        ({"authentication__pgp_key": "signonly@example.com"}, "authentication.pgp_key"),
    ],
)
def test_invalid_answers_exit_3_and_write_nothing(tmp_path, gnupghome, changes, field):
    answers = answers_file(tmp_path, "ci-bot.yaml", "http://127.0.0.1:9", **changes)
    result = run_tfiam("replay", str(answers), "--auto-approve")
    assert result.returncode == Exit.INVALID_ANSWERS, result.stdout + result.stderr
    assert f"  {field}: " in result.stderr
    assert "nothing was written" in result.stderr
    assert not (tmp_path / "ws").exists()
    assert "Traceback" not in result.stderr


def test_without_a_terminal_or_auto_approve_nothing_is_applied(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name = "not-applied-e2e"
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                           permissions__groups=[{"name": "not-applied-group"}])
    result = run_tfiam("replay", str(answers), "--plugin-dir", tf_plugin_dir)
    assert result.returncode == Exit.REFUSED, result.stdout + result.stderr
    assert "Plan: 4 to add" in result.stdout
    assert "--auto-approve" in result.stderr
    with pytest.raises(iam(moto_endpoint).exceptions.NoSuchEntityException):
        iam(moto_endpoint).get_user(UserName=name)


def test_sandbox_runs_the_example_with_no_keyring_and_no_account(tmp_path, empty_gnupghome, tf_plugin_dir):
    """The README's first command: the shipped example on the built-in sandbox, on a
    machine whose keyring does not hold the example's key."""
    result = run_tfiam("replay", str(EXAMPLES / "ci-bot.yaml"), "--sandbox", "--auto-approve",
                       "--workspace", str(tmp_path / "ws"), "--plugin-dir", tf_plugin_dir,
                       env={"GNUPGHOME": empty_gnupghome})
    assert result.returncode == Exit.OK, result.stdout + result.stderr
    assert result.stdout.startswith("SANDBOX: a local stand-in AWS at http://127.0.0.1:")
    assert "throwaway sandbox key" in result.stdout
    assert "[ok] access key works" in result.stdout
    dec = run_tfiam("decrypt", "--workspace", str(tmp_path / "ws"), "--output", "-",
                    env={"GNUPGHOME": empty_gnupghome})
    assert dec.returncode == Exit.OK, dec.stderr
    assert json.loads(dec.stdout)["access_key_id"].startswith("AKIA")
    assert os.listdir(empty_gnupghome) == [] or not any(
        n.endswith(".kbx") and os.path.getsize(os.path.join(empty_gnupghome, n)) > 32
        for n in os.listdir(empty_gnupghome)
    ), "the sandbox key must not land in the operator's keyring"


def test_non_editable_install_runs_from_another_folder(tmp_path, tf_plugin_dir):
    """``pip install .`` into a fresh venv (no source tree on sys.path): the wheel
    carries modules/ and workspace_templates/, and a sandbox replay works."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("tfiam-*.whl"))
    venv = tmp_path / "venv"
    # reuse this environment's installed dependencies; install only the wheel itself
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    vsite = subprocess.run([str(venv / "bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    Path(vsite, "_deps.pth").write_text(site + "\n")
    subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(venv / "bin/python"), "-c",
         "from tfiam_tui.engine.bundled import bundled_dir; print(bundled_dir('modules'))"],
        capture_output=True, text=True, cwd=elsewhere, check=True,
    ).stdout.strip()
    assert where.startswith(vsite) and where.endswith("_bundled/modules"), where
    example = elsewhere / "bot.yaml"
    example.write_text((EXAMPLES / "ci-bot.yaml").read_text())
    result = subprocess.run(
        [str(venv / "bin/tfiam"), "replay", "bot.yaml", "--sandbox", "--auto-approve", "--plugin-dir", tf_plugin_dir],
        capture_output=True, text=True, cwd=elsewhere, stdin=subprocess.DEVNULL, timeout=600,
    )
    assert result.returncode == Exit.OK, result.stdout + result.stderr
    assert (elsewhere / "tfiam-ci-bot" / "modules" / "iam-user" / "main.tf").is_file()


def test_a_failed_apply_exits_4_and_the_next_run_converges(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    """Joining a group that does not exist fails at apply; once it exists, the same
    command finishes the job from the saved state (no duplicate user, no lost key)."""
    name = "converge-e2e"
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                           permissions__groups=[], permissions__existing_groups=["team-e2e"])
    failed = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert failed.returncode == Exit.TERRAFORM_FAILED, failed.stdout + failed.stderr
    assert "team-e2e" in failed.stdout + failed.stderr
    state = json.loads((tmp_path / "ws" / "terraform.tfstate").read_text())
    kept = {r["type"] for r in state["resources"]}
    assert {"aws_iam_user", "aws_iam_access_key"} <= kept  # what was created is in state

    iam(moto_endpoint).create_group(GroupName="team-e2e")
    again = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert again.returncode == Exit.OK, again.stdout + again.stderr
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in again.stdout
    assert "[ok] group membership" in again.stdout
    keys = iam(moto_endpoint).list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert len(keys) == 1


@pytest.mark.parametrize("fault", ["unreachable", "no-credentials"])
def test_aws_unavailable_before_plan_exits_9_and_writes_nothing(tmp_path, gnupghome, fault):
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    answers = answers_file(tmp_path, "ci-bot.yaml", f"http://127.0.0.1:{port}")
    env = {}
    if fault == "no-credentials":
        answers = answers_file(tmp_path, "ci-bot.yaml", None)
        env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    result = run_tfiam("replay", str(answers), "--auto-approve", env=env, timeout=120)
    assert result.returncode == Exit.AWS_UNAVAILABLE, result.stdout + result.stderr
    words = "cannot reach http://127.0.0.1" if fault == "unreachable" else "no AWS credentials found"
    assert words in result.stderr and "Nothing was written" in result.stderr
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize("tool", ["terraform-missing", "terraform-too-old", "gpg-missing"])
def test_missing_or_old_tools_exit_7_and_write_nothing(tmp_path, moto_endpoint, gnupghome, terraform_bin, tool):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    args = []
    if tool == "terraform-too-old":
        fake = bindir / "terraform-1.5"
        fake.write_text('#!/bin/sh\necho \'{"terraform_version": "1.5.7"}\'\n')
        fake.chmod(0o755)
        args = ["--terraform-bin", str(fake)]
    elif tool == "terraform-missing":
        args = ["--terraform-bin", str(bindir / "terraform")]
    env = {}
    if tool == "gpg-missing":  # a PATH with terraform on it and nothing else
        (bindir / "terraform").symlink_to(terraform_bin)
        env = {"PATH": str(bindir)}
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint)
    result = run_tfiam("replay", str(answers), "--auto-approve", *args, env=env, timeout=120)
    assert result.returncode == Exit.MISSING_TOOL, result.stdout + result.stderr
    words = {"terraform-missing": "not found", "terraform-too-old": "is version 1.5.7; tfiam needs",
             "gpg-missing": "install GnuPG"}[tool]
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ws").exists()


def test_provider_unavailable_says_how_to_fix_it_and_the_next_run_converges(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    """Offline without a mirror (here: an empty one): exit 4 with the fix; nothing applied;
    with the mirror, the same command finishes."""
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name="no-provider-e2e",
                           permissions__groups=[])
    failed = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", str(empty))
    assert failed.returncode == Exit.TERRAFORM_FAILED, failed.stdout + failed.stderr
    assert "Failed to query available provider packages" in failed.stderr
    assert "--plugin-dir DIR" in failed.stderr and "Nothing was applied" in failed.stderr
    with pytest.raises(iam(moto_endpoint).exceptions.NoSuchEntityException):
        iam(moto_endpoint).get_user(UserName="no-provider-e2e")
    again = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert again.returncode == Exit.OK, again.stdout + again.stderr


def test_names_already_taken_in_the_account_stop_before_apply_and_adopting_them_converges(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    """An admin made the user (and its group) by hand in the console earlier.  tfiam finds
    them between plan and apply, applies nothing, and prints the import commands; after
    following them, the same command takes the user over without recreating it."""
    name, group, policy = "handmade-e2e", "handmade-group-e2e", "handmade-policy-e2e"
    client = iam(moto_endpoint)
    made = client.create_user(UserName=name, Tags=[{"Key": "Owner", "Value": "console"}])["User"]
    client.create_group(GroupName=group)
    ci_group = yaml.safe_load((EXAMPLES / "ci-bot.yaml").read_text())["permissions"]["groups"][0]
    ci_group["name"], ci_group["custom_policy"]["name"] = group, policy
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name, permissions__groups=[ci_group])
    refused = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert refused.returncode == Exit.REFUSED, refused.stdout + refused.stderr
    assert f"the user '{name}' already exists in the account" in refused.stderr
    assert f"the group '{group}' already exists in the account" in refused.stderr
    assert "Nothing was applied" in refused.stderr
    assert f"tfiam adopt {name} --save adopted-{name}.yaml" in refused.stderr  # the way to keep the user as it is
    assert "terraform apply" not in refused.stdout  # never started
    # Nothing was half-created and no applicable plan is left behind.
    assert policy not in {p["PolicyName"] for p in client.list_policies(Scope="Local")["Policies"]}
    assert client.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    ws = tmp_path / "ws"
    assert not list(ws.rglob("*.tfplan"))  # no plan left behind, applied or not

    imports = [line.strip() for line in refused.stderr.splitlines() if line.strip().startswith("terraform -chdir=")]
    assert len(imports) == 2
    for command in imports:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    adopted = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert adopted.returncode == Exit.OK, adopted.stdout + adopted.stderr
    assert "[FAIL]" not in adopted.stdout
    user = client.get_user(UserName=name)["User"]
    assert user["UserId"] == made["UserId"]  # the same user, taken over, not replaced
    tags = {t["Key"]: t["Value"] for t in client.list_user_tags(UserName=name)["Tags"]}
    assert tags == {"Owner": "platform", "Purpose": "ci", "Expiry": "2027-06-30"}
