"""The sandbox: tfiam's moto server answers what the hashicorp/aws provider asks."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.fixtures_moto import sandbox_client, unique_name
from tfiam_tui.engine.aws import sandbox as sandbox_module
from tfiam_tui.engine.aws.sandbox import Sandbox, SandboxError

POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def _error_code(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return exc_info.value.response["Error"]["Code"]


# --------------------------------------------------------------------------- boundaries


def test_create_user_with_permissions_boundary_is_returned_by_get_user(moto_iam):
    name = unique_name("bounded")
    created = moto_iam.create_user(UserName=name, PermissionsBoundary=POWER_USER)["User"]
    fetched = moto_iam.get_user(UserName=name)["User"]

    expected = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": POWER_USER}
    assert created["PermissionsBoundary"] == expected
    assert fetched["PermissionsBoundary"] == expected


def test_user_without_boundary_has_none(moto_iam):
    name = unique_name("plain")
    moto_iam.create_user(UserName=name)
    assert "PermissionsBoundary" not in moto_iam.get_user(UserName=name)["User"]


def test_put_and_delete_user_permissions_boundary(moto_iam):
    name = unique_name("boundary")
    moto_iam.create_user(UserName=name)

    moto_iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=READ_ONLY)
    assert moto_iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == READ_ONLY

    moto_iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=POWER_USER)
    assert moto_iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == POWER_USER

    moto_iam.delete_user_permissions_boundary(UserName=name)
    assert "PermissionsBoundary" not in moto_iam.get_user(UserName=name)["User"]


def test_boundary_must_look_like_a_policy_arn(moto_iam):
    name = unique_name("badboundary")
    moto_iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        moto_iam.put_user_permissions_boundary(
            UserName=name, PermissionsBoundary="arn:aws:s3:::not-a-policy-at-all"
        )
    assert _error_code(exc) == "InvalidInput"
    with pytest.raises(ClientError) as exc:
        moto_iam.put_user_permissions_boundary(UserName=unique_name("ghost"), PermissionsBoundary=POWER_USER)
    assert _error_code(exc) == "NoSuchEntity"


def test_list_users_does_not_return_boundaries_like_aws(moto_iam):
    name = unique_name("listed")
    moto_iam.create_user(UserName=name, PermissionsBoundary=POWER_USER)
    users = {u["UserName"]: u for u in moto_iam.list_users()["Users"]}
    assert name in users
    assert "PermissionsBoundary" not in users[name]


# --------------------------------------------------------------------------- force_destroy


def test_list_service_specific_credentials_is_empty(moto_iam):
    name = unique_name("ssc")
    moto_iam.create_user(UserName=name)
    assert moto_iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"] == []


def _user_with_everything(iam) -> tuple[str, str]:
    name, group = unique_name("full"), unique_name("grp")
    iam.create_user(UserName=name, Path="/tfiam/", Tags=[{"Key": "team", "Value": "platform"}])
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    iam.create_access_key(UserName=name)
    iam.create_login_profile(UserName=name, Password="Sandbox-Only-Password-1!")
    iam.attach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    return name, group


def test_delete_user_with_leftovers_is_refused_like_aws(moto_iam):
    name, _group = _user_with_everything(moto_iam)
    moto_iam.detach_user_policy(UserName=name, PolicyArn=READ_ONLY)

    with pytest.raises(ClientError) as exc:
        moto_iam.delete_user(UserName=name)

    assert _error_code(exc) == "DeleteConflict"
    message = exc.value.response["Error"]["Message"]
    assert "access keys" in message and "login profile" in message and "group memberships" in message
    assert moto_iam.get_user(UserName=name)["User"]["UserName"] == name


def test_user_deleted_the_way_provider_force_destroy_does(moto_iam):
    """The calls of terraform-provider-aws's deleteUser with force_destroy = true."""
    name, group = _user_with_everything(moto_iam)

    for key in moto_iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        moto_iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    for key in moto_iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]:
        moto_iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key["SSHPublicKeyId"])
    for device in moto_iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]:
        if device.get("User", {}).get("UserName") == name:
            moto_iam.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
    for device in moto_iam.list_mfa_devices(UserName=name)["MFADevices"]:
        moto_iam.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
    moto_iam.delete_login_profile(UserName=name)
    for cert in moto_iam.list_signing_certificates(UserName=name)["Certificates"]:
        moto_iam.delete_signing_certificate(UserName=name, CertificateId=cert["CertificateId"])
    assert moto_iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"] == []
    for g in moto_iam.list_groups_for_user(UserName=name)["Groups"]:
        moto_iam.remove_user_from_group(GroupName=g["GroupName"], UserName=name)
    for policy_name in moto_iam.list_user_policies(UserName=name)["PolicyNames"]:
        moto_iam.delete_user_policy(UserName=name, PolicyName=policy_name)
    for p in moto_iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        moto_iam.detach_user_policy(UserName=name, PolicyArn=p["PolicyArn"])
    assert moto_iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "team", "Value": "platform"}]

    moto_iam.delete_user(UserName=name)

    with pytest.raises(ClientError) as exc:
        moto_iam.get_user(UserName=name)
    assert _error_code(exc) == "NoSuchEntity"
    assert moto_iam.get_group(GroupName=group)["Users"] == []


def test_group_and_policy_deletes_conflict_while_in_use(moto_iam):
    name, group = unique_name("member"), unique_name("grp")
    moto_iam.create_user(UserName=name)
    moto_iam.create_group(GroupName=group)
    moto_iam.add_user_to_group(GroupName=group, UserName=name)
    policy_arn = moto_iam.create_policy(
        PolicyName=unique_name("pol"),
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}),
    )["Policy"]["Arn"]
    moto_iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)

    with pytest.raises(ClientError) as exc:
        moto_iam.delete_group(GroupName=group)
    assert _error_code(exc) == "DeleteConflict"
    with pytest.raises(ClientError) as exc:
        moto_iam.delete_policy(PolicyArn=policy_arn)
    assert _error_code(exc) == "DeleteConflict"

    moto_iam.remove_user_from_group(GroupName=group, UserName=name)
    moto_iam.detach_group_policy(GroupName=group, PolicyArn=policy_arn)
    moto_iam.delete_policy(PolicyArn=policy_arn)
    moto_iam.delete_group(GroupName=group)
    assert group not in {g["GroupName"] for g in moto_iam.list_groups()["Groups"]}


def test_aws_managed_policies_are_loaded(moto_iam):
    policy = moto_iam.get_policy(PolicyArn=POWER_USER)["Policy"]
    assert policy["PolicyName"] == "PowerUserAccess"


# --------------------------------------------------------------------------- process


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_sandbox_stops_its_server_on_exit():
    with Sandbox() as sandbox:
        port, pid = sandbox.port, sandbox.pid
        assert sandbox.endpoint == f"http://127.0.0.1:{port}"
        assert _port_open(port)
    assert not _port_open(port)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(SandboxError, match="not running"):
        sandbox.endpoint  # noqa: B018


def test_server_exits_by_itself_when_the_sandbox_owner_goes_away():
    """The owner's end of the server's stdin closes when the owner dies (even by SIGKILL)."""
    sandbox = Sandbox().start()
    try:
        process, port = sandbox._process, sandbox.port
        process.stdin.close()  # what the kernel does for a killed owner
        assert process.wait(timeout=10) == 0
        assert not _port_open(port)
    finally:
        sandbox.stop()


def test_sandbox_env_holds_only_dummy_credentials():
    base = {"AWS_PROFILE": "production", "AWS_SESSION_TOKEN": "real-token", "PATH": "/usr/bin"}
    env = Sandbox.child_env(base)
    assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env
    assert env["PATH"] == "/usr/bin"
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["AWS_ACCESS_KEY_ID"] == Sandbox.env()["AWS_ACCESS_KEY_ID"]
    assert "127.0.0.1" in env["NO_PROXY"].split(",")


def test_sandbox_reports_the_servers_error_when_it_cannot_start(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setattr(sandbox_module, "free_loopback_port", lambda: busy.getsockname()[1])
        with pytest.raises(SandboxError) as exc:
            Sandbox(start_timeout=10).start()
    assert "exited with status 1" in str(exc.value)
    assert "cannot listen on 127.0.0.1" in str(exc.value)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_server_prints_one_ready_line_and_exits_cleanly_on_signal(sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tfiam_tui.engine.aws.moto_server", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("tfiam sandbox listening on http://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        sandbox_client(f"http://127.0.0.1:{port}", "iam").list_users()  # a request: no log line
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out == ""  # nothing after the ready line: quiet by default
    assert "ListUsers" not in err and "POST" not in err


# --------------------------------------------------------------------------- real terraform

TF_COMMAND_TIMEOUT = 180  # a regression (provider retrying a 500) must not hang for 20 minutes


def _terraform(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["terraform", *args], cwd=workdir, env=env, text=True, capture_output=True,
            timeout=TF_COMMAND_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"terraform {' '.join(args)} took over {TF_COMMAND_TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")


def _provider(endpoint: str) -> str:
    """The hashicorp/aws provider pointed at the stand-in, as a raw-terraform test needs it."""
    return textwrap.dedent(f"""\
        terraform {{
          required_providers {{
            aws = {{ source = "hashicorp/aws" }}
          }}
        }}
        provider "aws" {{
          region                      = "us-east-1"
          skip_credentials_validation = true
          skip_requesting_account_id  = true
          skip_metadata_api_check     = true
          endpoints {{
            iam = "{endpoint}"
            sts = "{endpoint}"
          }}
        }}
        """)


@pytest.mark.e2e
def test_real_provider_applies_boundary_user_without_drift_and_force_destroys(
    moto_endpoint, moto_iam, tmp_path, tf_plugin_dir
):
    name = unique_name("tfuser")
    (tmp_path / "main.tf").write_text(_provider(moto_endpoint) + textwrap.dedent(f"""\
        resource "aws_iam_user" "this" {{
          name                 = "{name}"
          path                 = "/tfiam/"
          permissions_boundary = "{POWER_USER}"
          force_destroy        = true
          tags                 = {{ team = "platform" }}
        }}
        """))
    env = Sandbox.child_env(os.environ)
    env["TF_IN_AUTOMATION"] = "1"

    init = _terraform(tmp_path, env, "init", "-input=false", f"-plugin-dir={tf_plugin_dir}")
    assert init.returncode == 0, init.stderr
    apply = _terraform(tmp_path, env, "apply", "-auto-approve", "-input=false", "-no-color")
    assert apply.returncode == 0, apply.stderr
    user = moto_iam.get_user(UserName=name)["User"]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == POWER_USER

    plan = _terraform(tmp_path, env, "plan", "-detailed-exitcode", "-input=false", "-no-color")
    assert plan.returncode == 0, f"drift after apply:\n{plan.stdout}\n{plan.stderr}"

    # Things Terraform does not manage: force_destroy must remove them before DeleteUser.
    moto_iam.create_access_key(UserName=name)
    moto_iam.create_login_profile(UserName=name, Password="Sandbox-Only-Password-1!")
    group = unique_name("outofband")
    moto_iam.create_group(GroupName=group)
    moto_iam.add_user_to_group(GroupName=group, UserName=name)

    destroy = _terraform(tmp_path, env, "destroy", "-auto-approve", "-input=false", "-no-color")
    assert destroy.returncode == 0, destroy.stderr
    with pytest.raises(ClientError) as exc:
        moto_iam.get_user(UserName=name)
    assert _error_code(exc) == "NoSuchEntity"


@pytest.mark.e2e
def test_a_policy_with_plus_and_percent_settles_after_apply(moto_endpoint, moto_iam, tmp_path, tf_plugin_dir):
    """AWS sends GetPolicyVersion's document URL-encoded and the provider decodes it; a
    stand-in sending it raw turned "+" into a space in the state, so every plan after the
    apply wanted to change the policy (and "%41" came back "A")."""
    name = unique_name("plus")
    resource = "arn:aws:s3:::acme/a+b%41c/*"
    (tmp_path / "main.tf").write_text(_provider(moto_endpoint) + textwrap.dedent(f"""\
        resource "aws_iam_policy" "this" {{
          name   = "{name}"
          policy = jsonencode({{
            Version   = "2012-10-17"
            Statement = [{{ Effect = "Allow", Action = ["s3:GetObject"], Resource = ["{resource}"] }}]
          }})
        }}
        """))
    env = Sandbox.child_env(os.environ)
    env["TF_IN_AUTOMATION"] = "1"
    assert _terraform(tmp_path, env, "init", "-input=false", f"-plugin-dir={tf_plugin_dir}").returncode == 0
    apply = _terraform(tmp_path, env, "apply", "-auto-approve", "-input=false", "-no-color")
    assert apply.returncode == 0, apply.stderr
    plan = _terraform(tmp_path, env, "plan", "-detailed-exitcode", "-input=false", "-no-color")
    assert plan.returncode == 0, f"the policy does not settle:\n{plan.stdout}\n{plan.stderr}"
    arn = next(p["Arn"] for p in moto_iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == name)
    document = moto_iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Resource"] == [resource]


# --------------------------------------------------------------------------- one request at a time


def test_server_applies_concurrent_requests_one_at_a_time():
    """moto's in-memory accounts are not thread-safe: the sandbox's WSGI app must never
    run two requests at once, though the server accepts connections on many threads."""
    import threading
    import time
    import urllib.request

    from werkzeug.serving import make_server

    from tfiam_tui.engine.aws.moto_serving import one_request_at_a_time

    running, most = 0, 0
    guard = threading.Lock()

    def slow_app(environ, start_response):
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with guard:
            running -= 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"o", b"k"])

    server = make_server("127.0.0.1", 0, one_request_at_a_time(slow_app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    bodies: list[bytes] = []
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    clients = [threading.Thread(target=lambda: bodies.append(opener.open(url, timeout=30).read())) for _ in range(8)]
    try:
        for client in clients:
            client.start()
        for client in clients:
            client.join()
    finally:
        server.shutdown()
    assert bodies == [b"ok"] * 8
    assert most == 1


def test_parallel_creates_against_the_sandbox_all_land_once(moto_endpoint):
    """What terraform's parallel apply does: many creates at once, each answered once."""
    from concurrent.futures import ThreadPoolExecutor

    names = [unique_name("par") for _ in range(24)]

    def create(name: str) -> str:
        return sandbox_client(moto_endpoint, "iam").create_user(UserName=name)["User"]["UserName"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(create, names))
    assert created == names
    listed = {u["UserName"] for page in sandbox_client(moto_endpoint, "iam").get_paginator("list_users").paginate()
              for u in page["Users"]}
    assert set(names) <= listed
