"""Under ``--sandbox`` nothing of the operator's AWS auth is consulted: no profile (from the
answers or ``AWS_PROFILE``), no config or credentials file, no ``credential_process``, by
terraform or by boto3.

The operator here has a profile whose ``credential_process`` is a script that
appends a line to a marker file: the marker existing means real credentials were fetched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.fixtures_moto import unique_name
from tfiam_tui.engine.aws.sandbox import Sandbox, isolated_environ
from tfiam_tui.engine.exitcodes import Exit

REPO = Path(__file__).resolve().parent.parent
TFIAM = str(Path(sys.executable).parent / "tfiam")
REGION = "eu-central-1"
PROFILE = "operator-sso"  # a word no terraform or tfiam output has by chance


@pytest.fixture
def operator_profile(_isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """``~/.aws/config`` with a profile whose credential_process leaves a mark;
    ``AWS_PROFILE`` naming it and the operator's own key in the environment, as on a laptop."""
    marker = tmp_path / "credential_process-ran"
    script = tmp_path / "fetch-credentials.sh"
    script.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        echo "ran by $PPID" >> '{marker}'
        echo '{{"Version": 1, "AccessKeyId": "AKIAOPERATORREAL0000", "SecretAccessKey": "operator-secret"}}'
        """))
    script.chmod(0o755)
    config = _isolated_home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"[profile {PROFILE}]\ncredential_process = {script}\nregion = {REGION}\n")
    credentials = _isolated_home / ".aws" / "credentials"
    credentials.write_text("[other]\naws_access_key_id = AKIAOPERATORFILE0000\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_PROFILE", PROFILE)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "operator-session-token")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    return {"marker": marker, "config": config, "credentials": credentials}


def _answers(tmp_path: Path, user: str = "ci-bot") -> Path:
    data = yaml.safe_load((REPO / "examples" / "ci-bot.yaml").read_text())
    data["provider"]["profile"] = PROFILE
    data["user"]["name"] = user
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --------------------------------------------------------------------------- the environment


def test_child_env_removes_every_aws_variable_and_points_at_empty_files():
    base = {"AWS_PROFILE": PROFILE, "AWS_DEFAULT_PROFILE": PROFILE, "AWS_SESSION_TOKEN": "t",
            "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/creds",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds", "AWS_SDK_LOAD_CONFIG": "1",
            "AWS_CONFIG_FILE": "/home/op/.aws/config", "AWS_SHARED_CREDENTIALS_FILE": "/home/op/.aws/credentials",
            "AWS_ENDPOINT_URL_STS": "https://sts.amazonaws.com", "aws_profile": PROFILE, "PATH": "/usr/bin"}
    env = Sandbox.child_env(base)
    assert {k for k in env if k.upper().startswith("AWS_")} == {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED",
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["PATH"] == "/usr/bin"


def test_env_overrides_always_carry_the_dummy_credentials():
    """Inside isolated_environ() the process already has them; the engine still finds them
    among the overrides (its explicit credentials), or it would fall back to a profile."""
    already = Sandbox.child_env({"PATH": "/usr/bin"})
    changes = Sandbox.env_overrides(already)
    assert changes["AWS_ACCESS_KEY_ID"] == Sandbox.env()["AWS_ACCESS_KEY_ID"]
    assert changes["AWS_SECRET_ACCESS_KEY"] == Sandbox.env()["AWS_SECRET_ACCESS_KEY"]


def test_isolated_environ_restores_the_operators_environment(operator_profile):
    before = dict(os.environ)
    with isolated_environ() as changes:
        assert "AWS_PROFILE" not in os.environ and "AWS_SESSION_TOKEN" not in os.environ
        assert os.environ["AWS_CONFIG_FILE"] == os.devnull
        assert changes["AWS_PROFILE"] is None
    assert dict(os.environ) == before


def test_the_sandbox_answers_have_no_profile_for_the_provider_or_the_state(tmp_path):
    from tfiam_tui.engine import answers as answers_mod
    from tfiam_tui.engine.pipeline.credentials import sandboxed
    from tfiam_tui.engine.terraform import backends, workspace

    data = yaml.safe_load(_answers(tmp_path).read_text())
    data["backend"] = {"type": "s3", "bucket": "acme-state", "key": "iam/ci-bot.tfstate", "profile": PROFILE + "-state"}
    loaded = answers_mod.parse(data)
    assert workspace.tfvars(loaded, None)["profile"] == PROFILE  # the hostile input is there

    run = sandboxed(loaded, "http://127.0.0.1:1")
    assert run.provider.endpoint == "http://127.0.0.1:1"
    assert workspace.tfvars(run, None)["profile"] is None
    assert "profile" not in backends.backend_config(run)
    assert PROFILE not in json.dumps(answers_mod.to_data(run))


def test_the_wizards_sandbox_runs_the_answers_without_a_profile(operator_profile, tmp_path, moto_endpoint):
    """The wizard's Session: the pipeline and the early init get the sandboxed answers."""
    from types import SimpleNamespace

    from tfiam_tui.engine import answers as answers_mod
    from tfiam_tui.tui.session import Session

    loaded = answers_mod.load(_answers(tmp_path))
    session = Session(sandbox=True, sandbox_factory=lambda: SimpleNamespace(endpoint=moto_endpoint))
    run = session.effective(loaded)
    assert (run.provider.endpoint, run.provider.profile) == (moto_endpoint, None)
    pipeline = session.new_pipeline(loaded, tmp_path / "ws")
    assert pipeline.answers.provider.profile is None
    assert pipeline.extra_env["AWS_CONFIG_FILE"] == os.devnull and pipeline.extra_env["AWS_PROFILE"] is None
    assert Session(sandbox=False).effective(loaded).provider.profile == PROFILE  # no sandbox: as answered


# --------------------------------------------------------------------------- boto3, no terraform

# Runs in a child interpreter so that an audit hook can see every file boto3 opens.
_PROBE = textwrap.dedent("""\
    import json, os, sys

    watched = set(json.loads(os.environ["PROBE_WATCHED"]))
    opened = []

    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            if os.path.realpath(os.fsdecode(args[0])) in watched:
                opened.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)
    mode, endpoint, answers_path, key_id, secret = sys.argv[1:6]
    from tfiam_tui.engine import answers as answers_mod
    from tfiam_tui.engine.aws import preflight, verify
    from tfiam_tui.engine.aws.clients import aws_session
    from tfiam_tui.engine.aws.expected import Expected
    from tfiam_tui.engine.aws.sandbox import isolated_environ
    from tfiam_tui.engine.pipeline.credentials import explicit_credentials, sandboxed
    from tfiam_tui.engine.terraform import backends

    answers = answers_mod.load(answers_path)
    region = answers.provider.region
    out = {}
    if mode == "sandbox":  # what replay and the wizard do under --sandbox
        with isolated_environ() as changes:
            run = sandboxed(answers, endpoint)
            creds = explicit_credentials(changes)
            out["identity"] = preflight.preflight(region=region, endpoint=endpoint,
                                                  profile=run.provider.profile, credentials=creds)
            checks = verify.verify(Expected.from_answers(run), region=region, endpoint=endpoint,
                                   profile=run.provider.profile, credentials=creds, access_key=(key_id, secret))
            out["checks"] = {c.name: c.ok for c in checks}
            backends.client(run, "s3", creds).list_buckets()
    elif mode == "explicit":  # the engine's own sessions with explicit credentials, environment untouched
        session = aws_session(region, answers.provider.profile, ("SANDBOXACCESSKEYID00", "x"))
        out["identity"] = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"]
    else:  # control: the operator's usual chain, as tfiam did before; proves the probe sees it
        session = aws_session(region, answers.provider.profile, None)
        out["identity"] = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"]
    out["opened"] = opened
    print(json.dumps(out))
    """)


def _probe(mode: str, endpoint: str, answers: Path, files: dict[str, Path], key: tuple[str, str]) -> dict:
    watched = [os.path.realpath(files["config"]), os.path.realpath(files["credentials"])]
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, mode, endpoint, str(answers), *key],
        capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "PROBE_WATCHED": json.dumps(watched)},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_probe_sees_the_operators_chain(operator_profile, moto_endpoint, tmp_path):
    """The control: boto3's usual chain reads the config and runs credential_process."""
    result = _probe("operator", moto_endpoint, _answers(tmp_path), operator_profile, ("-", "-"))
    assert operator_profile["marker"].exists()
    assert any(p.endswith("config") for p in result["opened"])


def test_explicit_credentials_read_no_operator_file(operator_profile, moto_endpoint, tmp_path):
    result = _probe("explicit", moto_endpoint, _answers(tmp_path), operator_profile, ("-", "-"))
    assert result["opened"] == []
    assert not operator_profile["marker"].exists()


def test_the_sandbox_paths_boto3_sessions_read_no_operator_file(operator_profile, moto_endpoint, moto_iam, tmp_path):
    """preflight, verify (with the new key's own STS check) and the S3 backend's client."""
    user = unique_name("isolated")
    moto_iam.create_user(UserName=user)
    key = moto_iam.create_access_key(UserName=user)["AccessKey"]
    result = _probe("sandbox", moto_endpoint, _answers(tmp_path, user), operator_profile,
                    (key["AccessKeyId"], key["SecretAccessKey"]))
    assert result["opened"] == []
    assert not operator_profile["marker"].exists()
    assert result["identity"].startswith("arn:aws:")
    assert result["checks"]["access key works (STS GetCallerIdentity)"] is True


# --------------------------------------------------------------------------- the real thing


@pytest.mark.e2e
def test_sandbox_replay_never_runs_the_operators_credential_process(
    operator_profile, tmp_path, empty_gnupghome, tf_plugin_dir
):
    answers = _answers(tmp_path)
    ws = tmp_path / unique_name("ws")
    result = subprocess.run(
        [TFIAM, "replay", str(answers), "--sandbox", "--auto-approve", "--workspace", str(ws),
         "--plugin-dir", tf_plugin_dir],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600,
        env={**os.environ, "GNUPGHOME": empty_gnupghome},
    )
    assert result.returncode == Exit.OK, result.stdout + result.stderr
    assert "[ok] access key works" in result.stdout
    assert not operator_profile["marker"].exists(), operator_profile["marker"].read_text()
    assert json.loads((ws / "terraform.tfvars.json").read_text())["profile"] is None
    assert PROFILE not in (ws / "terraform.tfvars.json").read_text()
    assert PROFILE not in result.stdout + result.stderr
