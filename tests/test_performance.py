"""What keeps tfiam from adding to terraform's own time (issue 8; figures: ``python -m bench``).

* A whole ``tfiam replay`` starts terraform exactly once per step: version, init, plan,
  apply (counted by a ``--terraform-bin`` wrapper that logs its argv).  No ``terraform
  output``: the apply's ``-json`` stream reports the outputs already.
* Providers go to one shared plugin cache, never copied into each workspace; the
  operator's own cache (``TF_PLUGIN_CACHE_DIR`` or ``plugin_cache_dir`` in the CLI
  configuration) wins.  A fake provider in a *packed* mirror stands in for a registry
  download: terraform unpacks it, so without a cache each workspace would get a copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
import yaml

from tfiam_tui.engine import answers as answers_mod
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.engine.pipeline import Pipeline
from tfiam_tui.engine.terraform import workspace
from tfiam_tui.engine.terraform.events import run_to_end
from tfiam_tui.engine.terraform.runner import Runner

REPO = Path(__file__).resolve().parent.parent
TFIAM = str(Path(sys.executable).parent / "tfiam")
FAKE_SIZE = 2_000_000  # the fake provider; a workspace must add far less than this


def disk_bytes(root: Path) -> int:
    """Bytes allocated below ``root``, symlinks counted as links (like ``du``)."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


# --------------------------------------------------------------------------- one replay, one command per step


@pytest.mark.e2e
def test_a_replay_runs_each_terraform_command_once_and_links_the_provider(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir, terraform_bin
):
    log = tmp_path / "argv.log"
    wrapper = tmp_path / "terraform-logged"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{terraform_bin}" "$@"\n')
    wrapper.chmod(0o755)
    name = f"perf-{uuid.uuid4().hex[:8]}"
    data = yaml.safe_load((REPO / "examples" / "ci-bot.yaml").read_text())
    data["provider"]["endpoint"] = moto_endpoint
    data["user"]["name"] = name
    data["permissions"]["groups"][0]["name"] = f"{name}-group"
    data["permissions"]["groups"][0]["custom_policy"]["name"] = f"{name}-policy"
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(data, sort_keys=False))
    ws = tmp_path / "ws"

    result = subprocess.run(
        [TFIAM, "replay", str(answers), "--auto-approve", "--workspace", str(ws), "--plugin-dir", tf_plugin_dir,
         "--terraform-bin", str(wrapper), "--timings"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600,
    )
    assert result.returncode == Exit.OK, result.stdout + result.stderr
    assert "[ok] access key works" in result.stdout  # credentials decrypted and verified ...
    commands = [line.split()[0] for line in log.read_text().splitlines()]
    # ... with the outputs the apply reported; `show` reads the saved plan for the review
    assert commands == ["version", "init", "plan", "show", "apply"]
    plan_argv, show_argv, apply_argv = (line.split() for line in log.read_text().splitlines()[2:5])
    planned = next(arg.split("=", 1)[1] for arg in plan_argv if arg.startswith("-out="))
    assert planned.startswith(".tfiam/plans/") and planned.endswith(".tfplan")
    assert show_argv[-1] == apply_argv[-1] == planned  # the reviewed plan, not a second plan

    # --timings: one line on stderr naming every step, and the process's peak memory
    timings = [line for line in result.stderr.splitlines() if line.startswith("timings: ")]
    assert len(timings) == 1, result.stderr
    for step in ("check", "preflight", "write", "init", "plan", "apply", "output", "decrypt", "verify"):
        assert f" {step}=" in timings[0]
    assert " peak_rss=" in timings[0]

    # The provider is linked through tfiam's cache (in the test's isolated HOME), not copied.
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "tfiam" / "plugin-cache"
    installed = list((ws / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws").glob("*/*"))
    assert installed and all(p.is_symlink() for p in installed)
    assert str(os.readlink(installed[0])).startswith(str(cache))
    assert disk_bytes(ws / ".terraform") < 1_000_000


OUTPUTS = """
resource "terraform_data" "user" {
  input = "alice"
}
output "user_name" {
  value = terraform_data.user.output
}
output "nothing" {
  value = null
}
"""


@pytest.mark.parametrize("sensitive", [False, True])
def test_outputs_come_from_the_apply_unless_one_is_sensitive(tmp_path, terraform_bin, sensitive):
    """The apply's -json stream carries the outputs (not sensitive ones), so no `terraform
    output` is needed after it; with a sensitive output tfiam asks terraform once."""
    ws = tmp_path / "ws"
    extra = 'output "token" {\n  value     = "s3cr3t"\n  sensitive = true\n}\n' if sensitive else ""
    pipeline = Pipeline(answers_mod.load(REPO / "examples" / "ci-bot.yaml"), ws, terraform_bin=terraform_bin)
    # written as tfiam writes a workspace (with its manifest): plan() refuses any other main.tf
    workspace.write(ws, {"main.tf": (OUTPUTS + extra).encode()}, owner=pipeline.owner())
    for step in (pipeline.init(), pipeline.plan(), pipeline.apply()):
        assert run_to_end(step).ok
    expected = {"user_name": "alice", **({"token": "s3cr3t"} if sensitive else {})}
    assert pipeline.outputs() == expected
    assert pipeline.outputs() == expected  # asked twice (credentials, verify): terraform runs once at most
    expected_commands = ["init", "plan", "show", "apply"] + (["output"] if sensitive else [])
    assert [argv[1] for argv in pipeline.runner.invocations] == expected_commands


# --------------------------------------------------------------------------- the shared plugin cache


@pytest.fixture
def packed_mirror(tmp_path: Path, terraform_bin: str) -> Path:
    """A CLI configuration (returned) installing example.com/acme/fake from a packed mirror."""
    platform = json.loads(subprocess.run([terraform_bin, "version", "-json"], capture_output=True,
                                         text=True, check=True).stdout)["platform"]
    folder = tmp_path / "mirror" / "example.com" / "acme" / "fake"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / f"terraform-provider-fake_1.0.0_{platform}.zip", "w") as z:
        entry = zipfile.ZipInfo("terraform-provider-fake_v1.0.0")
        entry.external_attr = 0o755 << 16  # an executable, like a real provider
        z.writestr(entry, b"#!/bin/sh\n" + os.urandom(FAKE_SIZE))
    config = tmp_path / "mirror.tfrc"
    config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{tmp_path / "mirror"}"\n  }}\n}}\n'
    )
    return config


def fake_workspace(tmp_path: Path, name: str) -> Path:
    ws = tmp_path / name
    ws.mkdir()
    (ws / "main.tf").write_text('terraform {\n  required_providers {\n    fake = { source = "example.com/acme/fake" }\n  }\n}\n')
    return ws


def init(ws: Path, terraform_bin: str) -> None:
    assert run_to_end(Runner(ws, terraform_bin=terraform_bin, plugin_dir=None).init()).ok


def provider_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("terraform-provider-fake_v1.0.0") if p.is_file() and not p.is_symlink()]


def test_downloaded_providers_land_once_in_tfiams_cache(tmp_path, terraform_bin, packed_mirror, monkeypatch):
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(packed_mirror))
    monkeypatch.delenv("TFIAM_PLUGIN_DIR", raising=False)
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "tfiam" / "plugin-cache"
    workspaces = [fake_workspace(tmp_path, "first"), fake_workspace(tmp_path, "second")]
    for ws in workspaces:
        init(ws, terraform_bin)
    [cached] = provider_files(cache)
    assert cached.stat().st_size > FAKE_SIZE
    for ws in workspaces:
        assert provider_files(ws) == []  # no copy in the workspace ...
        [link] = [p for p in (ws / ".terraform" / "providers").rglob("*") if p.is_symlink()]
        assert Path(os.path.realpath(link)) == cached.parent  # ... a link to the cache
        assert disk_bytes(ws) < 100_000


@pytest.mark.parametrize("how", ["TF_PLUGIN_CACHE_DIR", "plugin_cache_dir in the CLI configuration"])
def test_the_operators_own_plugin_cache_wins(tmp_path, terraform_bin, packed_mirror, monkeypatch, how):
    mine = tmp_path / "my-cache"
    mine.mkdir()
    monkeypatch.delenv("TFIAM_PLUGIN_DIR", raising=False)
    if how == "TF_PLUGIN_CACHE_DIR":
        monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(packed_mirror))
        monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(mine))
    else:  # in ~/.terraformrc, the default CLI configuration file
        monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        rc = Path(os.environ["HOME"]) / ".terraformrc"
        rc.write_text(f'plugin_cache_dir = "{mine}"\n' + packed_mirror.read_text())
    init(fake_workspace(tmp_path, "ws"), terraform_bin)
    assert len(provider_files(mine)) == 1
    assert not (Path(os.environ["XDG_CACHE_HOME"]) / "tfiam" / "plugin-cache").exists()


@pytest.mark.parametrize(
    "config, operator_has_one",
    [
        ('plugin_cache_dir = "/srv/tf-cache"\n', True),
        ('  plugin_cache_dir="$HOME/.terraform.d/plugin-cache"\n', True),
        ('{"disable_checkpoint": true, "plugin_cache_dir": "/srv/tf-cache"}\n', True),
        ('// plugin_cache_dir = "/srv/tf-cache"\n', False),
        ('# plugin_cache_dir = "/srv/tf-cache"\n', False),
        ("plugin_cache_may_break_dependency_lock_file = true\n", False),
        ("disable_checkpoint = true\n", False),
    ],
)
def test_cli_configuration_is_read_for_plugin_cache_dir(tmp_path, monkeypatch, config, operator_has_one):
    rc = tmp_path / "cli.tfrc"
    rc.write_text(config)
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    env = Runner(tmp_path).environment()
    tfiam_cache = str(Path(os.environ["XDG_CACHE_HOME"]) / "tfiam" / "plugin-cache")
    if operator_has_one:
        assert "TF_PLUGIN_CACHE_DIR" not in env  # terraform reads the operator's setting itself
    else:
        assert env["TF_PLUGIN_CACHE_DIR"] == tfiam_cache
        assert Path(tfiam_cache).is_dir()


def test_a_new_workspace_takes_the_provider_from_the_cache_without_reinstalling(
    tmp_path, terraform_bin, packed_mirror, monkeypatch
):
    """terraform >= 1.4 would reinstall (unpack and hash) for a workspace whose lock file
    does not list the provider yet; tfiam lets it use the shared cache."""
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(packed_mirror))
    monkeypatch.delenv("TFIAM_PLUGIN_DIR", raising=False)
    texts = []
    for name in ("first", "second"):
        events = list(Runner(fake_workspace(tmp_path, name), terraform_bin=terraform_bin, plugin_dir=None).init())
        assert events[-1].ok
        texts.append("\n".join(e.text for e in events if hasattr(e, "text")))
    assert "Installed example.com/acme/fake" in texts[0]
    assert "from the shared cache directory" in texts[1], texts[1]
