"""Rendering the workspace: deterministic, fmt-clean, values only in tfvars.json, atomic."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tfiam_tui.engine import answers as A
from tfiam_tui.engine import bundled, fsutil
from tfiam_tui.engine.terraform import backends, workspace

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HOSTILE = 'x" } resource "null" "y" { ${path.cwd} %{if true}'
PGP_B64 = "bm90LWEtcmVhbC1rZXk="  # rendering never looks inside the key


def hostile_answers() -> A.Answers:
    data = A.to_data(A.load(EXAMPLES / "ci-bot.yaml"))
    policy = data["permissions"]["groups"][0]["custom_policy"]
    policy["description"] = HOSTILE
    policy["statements"][0]["actions"] = ["s3:GetObject"]
    policy["statements"][0]["resources"] = ["arn:aws:s3:::acme-home/${aws:username}/*"]
    data["user"]["tags"]["Purpose"] = "Zoë 東京"
    data["provider"]["terraform_version"] = ">= 1.6.0, < 2.0.0"
    data["provider"]["region"] = "ap-southeast-2"
    return A.parse(data)


def write_ws(ws: Path, files: dict[str, bytes], **options) -> workspace.WriteResult:
    return workspace.write(ws, files, owner=workspace.owner_of(hostile_answers()), **options)


def test_rendering_is_deterministic():
    a, b = hostile_answers(), hostile_answers()
    assert workspace.render(a, PGP_B64) == workspace.render(b, PGP_B64)


def test_answer_values_reach_terraform_only_through_tfvars_json():
    files = workspace.render(hostile_answers(), PGP_B64)
    tfvars = json.loads(files[workspace.TFVARS])
    assert tfvars["groups"][0]["custom_policy"]["description"] == HOSTILE
    assert tfvars["groups"][0]["custom_policy"]["statements"][0]["resources"] == [
        "arn:aws:s3:::acme-home/${aws:username}/*"
    ]
    assert tfvars["user_tags"]["Purpose"] == "Zoë 東京"
    assert tfvars["pgp_key"] == PGP_B64
    hcl = b"".join(data for name, data in files.items() if name.endswith(".tf")).decode()
    for value in ("ci-bot", "ci-group", "ci-policy", "PowerUserAccess", "ap-southeast-2", "path.cwd", "Zoë"):
        assert value not in hcl, f"{value!r} was spliced into HCL"
    assert 'required_version = ">= 1.6.0, < 2.0.0"' in files["versions.tf"].decode()


def test_hcl_strings_cannot_interpolate():
    assert backends.hcl_string('a"${b}%{c}') == '"a\\"$${b}%%{c}"'


def test_no_pgp_key_when_no_secret_is_created():
    data = A.to_data(A.load(EXAMPLES / "ci-bot.yaml"))
    data["authentication"].update(access_key=False, console=False)
    tfvars = json.loads(workspace.render(A.parse(data), PGP_B64)[workspace.TFVARS])
    assert tfvars["pgp_key"] is None and tfvars["access_keys"] == {} and tfvars["key_rotation"] is None


def test_written_workspace_is_fmt_clean_private_and_carries_the_module(tmp_path, terraform_bin):
    ws = tmp_path / "ws"
    write_ws(ws, workspace.render(hostile_answers(), PGP_B64))
    fmt = subprocess.run([terraform_bin, "fmt", "-check", "-recursive", "-diff"], cwd=ws, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    assert (ws / "modules/iam-user/main.tf").is_file()
    assert (ws / ".gitignore").is_file()
    for root, dirs, names in os.walk(ws):
        for d in dirs:
            assert (Path(root, d).stat().st_mode & 0o777) == 0o700, d
        for n in names:
            assert (Path(root, n).stat().st_mode & 0o777) == 0o600, n
    assert (ws.stat().st_mode & 0o777) == 0o700


def test_rewriting_keeps_state_and_is_byte_identical(tmp_path):
    ws = tmp_path / "ws"
    files = workspace.render(hostile_answers(), PGP_B64)
    write_ws(ws, files)
    keep = {"terraform.tfstate": b'{"serial": 7}', ".terraform.lock.hcl": b"# lock", ".terraform/x": b"plugin"}
    for rel, data in keep.items():
        (ws / rel).parent.mkdir(exist_ok=True)
        (ws / rel).write_bytes(data)
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    again = write_ws(ws, workspace.render(hostile_answers(), PGP_B64))
    assert again.changed == []
    assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before


def test_a_crash_mid_write_leaves_the_old_workspace_intact(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    write_ws(ws, workspace.render(hostile_answers(), PGP_B64))
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    data = A.to_data(hostile_answers())
    data["user"]["tags"]["Owner"] = "someone-else"
    data["provider"]["aws_provider_version"] = "~> 5.50"
    changed = workspace.render(A.parse(data), PGP_B64)

    real_stage, staged = fsutil.stage, []

    def stage_then_crash(path, blob, mode=0o600):
        # the second changed file: the disk fills up before it is written
        if path.exists() and path.read_bytes() != blob and staged:
            raise OSError(28, "No space left on device")
        tmp = real_stage(path, blob, mode)
        if tmp is not None:
            staged.append(tmp)
        return tmp

    monkeypatch.setattr(fsutil, "stage", stage_then_crash)
    with pytest.raises(OSError):
        write_ws(ws, changed)
    assert staged, "the first changed file was staged before the crash"
    assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before  # no temp files either


def test_workspace_path_that_is_a_file_is_an_answers_problem(tmp_path):
    target = tmp_path / "ws"
    target.write_text("I am a file")
    with pytest.raises(A.AnswersError) as exc:
        write_ws(target, workspace.render(hostile_answers(), PGP_B64))
    assert exc.value.problems[0].field == "workspace"
    assert "is not a folder" in exc.value.problems[0].message
    assert target.read_text() == "I am a file"


def test_workspace_in_a_folder_without_write_permission_writes_nothing():
    """Run as an unprivileged user (root ignores permission bits)."""
    base = Path(tempfile.mkdtemp(prefix="tfiam-ro-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        parent = base / "ro"
        parent.mkdir(mode=0o555)
        os.chmod(parent, 0o555)
        code = (
            "import sys; from pathlib import Path\n"
            "from tfiam_tui.engine import answers as A\n"
            "from tfiam_tui.engine.terraform import workspace\n"
            "from tests.test_workspace import hostile_answers, write_ws, PGP_B64\n"
            "try:\n"
            f"    write_ws(Path({str(parent / 'ws')!r}), workspace.render(hostile_answers(), PGP_B64))\n"
            "except A.AnswersError as e:\n"
            "    print(e.problems[0]); sys.exit(3)\n"
        )
        argv = [sys.executable, "-c", code]
        if os.geteuid() == 0:
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
        out = subprocess.run(argv, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
        assert out.returncode == 3, out.stdout + out.stderr
        assert out.stdout.startswith("workspace: no permission to write in")
        assert list(parent.iterdir()) == []
    finally:
        os.chmod(base / "ro", 0o755)
        shutil.rmtree(base)


def test_bundled_folders_are_found():
    assert (bundled.bundled_dir("modules") / "iam-user" / "main.tf").is_file()
    assert (bundled.bundled_dir("workspace_templates") / "versions.tf.tmpl").is_file()


def test_hand_edits_are_detected_and_kept_unless_overwrite_is_asked(tmp_path):
    ws = tmp_path / "ws"
    files = workspace.render(hostile_answers(), PGP_B64)
    write_ws(ws, files)
    (ws / "main.tf").write_text((ws / "main.tf").read_text() + "\n# my own tweak\n")
    (ws / "outputs.tf").unlink()  # deleted files are simply restored
    with pytest.raises(workspace.WorkspaceEdited) as exc:
        write_ws(ws, files)
    assert exc.value.edited == ["main.tf"]
    assert "my own tweak" in (ws / "main.tf").read_text()
    assert not (ws / "outputs.tf").exists()  # nothing was written
    write_ws(ws, files, overwrite_edits=True)
    assert (ws / "main.tf").read_bytes() == files["main.tf"]
    assert (ws / "outputs.tf").is_file()
    assert workspace.edited_files(ws, files) == []
