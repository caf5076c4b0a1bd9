"""tfiam writes only into a new or empty folder, or its own workspace for the same user and
account; everything else is refused before a byte is written, and left exactly as it was."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.test_e2e import answers_file, run_tfiam
from tests.test_workspace import PGP_B64, hostile_answers
from tfiam_tui.engine import answers as A
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.engine.terraform import ownership, workspace

BUCKET_STATE = {
    "version": 4, "serial": 3, "lineage": "someone-elses",
    "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "data", "provider": "provider[\"aws\"]",
                   "instances": [{"attributes": {"bucket": "acme-data"}}]}],
}


def snapshot(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry below ``root`` with its mode and content (symlinks: their target)."""
    seen: dict[str, tuple[int, bytes | str]] = {".": (root.stat().st_mode, b"")}
    for top, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            p = Path(top, name)
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                seen[rel] = (0, os.readlink(p))
            else:
                seen[rel] = (p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
    return seen


def answers_for(name: str) -> A.Answers:
    data = A.to_data(hostile_answers())
    data["user"]["name"] = name
    return A.parse(data)


def write_for(ws: Path, name: str, account: str | None = None) -> workspace.WriteResult:
    answers = answers_for(name)
    return workspace.write(ws, workspace.render(answers, PGP_B64), owner=workspace.owner_of(answers, account))


def refused(ws: Path, name: str, account: str | None = None) -> str:
    before = snapshot(ws) if ws.exists() else None
    with pytest.raises(A.AnswersError) as exc:
        write_for(ws, name, account)
    assert (snapshot(ws) if ws.exists() else None) == before, "a refused write changed the folder"
    problem = exc.value.problems[0]
    assert problem.field == "workspace"
    return problem.message


def someone_elses_folder(root: Path) -> Path:
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    (root / "main.tf").write_text('resource "aws_s3_bucket" "data" { bucket = "acme-data" }\n')
    (root / "terraform.tfstate").write_text(json.dumps(BUCKET_STATE))
    return root


def test_someone_elses_terraform_folder_is_refused_untouched(tmp_path):
    ws = someone_elses_folder(tmp_path / "theirs")
    message = refused(ws, "alice")
    assert "is not empty (main.tf, terraform.tfstate)" in message and "not a tfiam workspace" in message
    assert "new folder" in message and "tfiam adopt" in message
    assert (ws.stat().st_mode & 0o777) == 0o755  # not chmodded


def test_the_home_folder_and_the_root_are_refused(tmp_path):
    home = Path.home()
    (home / ".gitignore").write_text("mine\n")
    os.chmod(home, 0o755)
    message = refused(home, "alice")
    assert "is your home folder" in message
    assert (home / ".gitignore").read_text() == "mine\n" and (home.stat().st_mode & 0o777) == 0o755
    with pytest.raises(A.AnswersError, match="root of the filesystem"):
        ownership.check(Path("/"), workspace.owner_of(answers_for("alice")))  # check only: never write to /
    with pytest.raises(A.AnswersError, match="holds your home folder"):
        ownership.check(home.parent, workspace.owner_of(answers_for("alice")))


def test_an_empty_folder_is_used_and_keeps_its_mode(tmp_path):
    ws = tmp_path / "empty"
    ws.mkdir(mode=0o750)
    os.chmod(ws, 0o750)
    write_for(ws, "alice")
    assert (ws / "main.tf").is_file() and (ws.stat().st_mode & 0o777) == 0o750
    manifest = json.loads((ws / ownership.MANIFEST).read_text())
    assert (manifest["kind"], manifest["name"], manifest["backend"]) == ("iam-user", "alice", "local")
    assert manifest["files"]["main.tf"]


def test_another_users_workspace_is_refused(tmp_path):
    ws = tmp_path / "ws"
    write_for(ws, "user-a")
    message = refused(ws, "user-b")
    assert "is the workspace of user user-a" in message and "these answers are for user user-b" in message
    assert "rename or replace user-a" in message
    write_for(ws, "user-a")  # its own user is welcome back


def test_a_workspace_of_another_account_is_refused_and_the_account_is_remembered(tmp_path):
    ws = tmp_path / "ws"
    write_for(ws, "alice", account="111111111111")
    write_for(ws, "alice")  # the account is not known yet (before STS): kept, not forgotten
    assert json.loads((ws / ownership.MANIFEST).read_text())["account_id"] == "111111111111"
    message = refused(ws, "alice", account="222222222222")
    assert "account 111111111111" in message and "account 222222222222" in message


def test_a_manifest_from_before_owners_were_recorded_reads_the_user_from_tfvars(tmp_path):
    ws = tmp_path / "ws"
    write_for(ws, "user-a")
    manifest = json.loads((ws / ownership.MANIFEST).read_text())
    (ws / ownership.MANIFEST).write_text(json.dumps({"files": manifest["files"]}))  # the older format
    assert "workspace of user user-a" in refused(ws, "user-b")
    write_for(ws, "user-a")
    assert json.loads((ws / ownership.MANIFEST).read_text())["name"] == "user-a"


def test_terraform_files_and_state_tfiam_did_not_write_are_refused(tmp_path):
    ws = tmp_path / "ws"
    write_for(ws, "alice")
    (ws / "zz_extra.tf").write_text('resource "aws_iam_user_policy" "x" {}\n')
    assert "Terraform files tfiam did not write: zz_extra.tf" in refused(ws, "alice")
    (ws / "zz_extra.tf").unlink()
    (ws / "modules/iam-user/override.tf").write_text("# sneaky\n")
    assert "modules/iam-user/override.tf" in refused(ws, "alice")
    (ws / "modules/iam-user/override.tf").unlink()
    (ws / "terraform.auto.tfvars").write_text('user_name = "root"\n')
    assert "terraform.auto.tfvars" in refused(ws, "alice")
    (ws / "terraform.auto.tfvars").unlink()
    (ws / "terraform.tfstate").write_text(json.dumps(BUCKET_STATE))
    assert "aws_s3_bucket.data" in refused(ws, "alice")


@pytest.mark.parametrize("link", ["modules", "terraform.tfstate.backup", ".tfiam"])
def test_a_symlink_in_the_workspace_is_refused_and_nothing_outside_is_written(tmp_path, link):
    ws = tmp_path / "ws"
    write_for(ws, "alice")
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o755)
    os.chmod(outside, 0o755)
    (outside / "precious").write_text("keep\n")
    target = ws / link
    if target.is_dir():
        for child in target.iterdir():  # the folder's contents move out, a link takes its place
            child.rename(outside / child.name)
        target.rmdir()
    target.symlink_to(outside if link != "terraform.tfstate.backup" else outside / "precious")
    before = snapshot(outside)
    message = refused(ws, "alice")
    assert f"holds symlinks ({link})" in message
    assert snapshot(outside) == before


def test_terraforms_own_plugin_links_are_fine(tmp_path):
    ws = tmp_path / "ws"
    write_for(ws, "alice")
    (ws / ".terraform/providers").mkdir(parents=True)
    (ws / ".terraform/providers/aws").symlink_to(tmp_path)
    write_for(ws, "alice")


def test_replay_into_someone_elses_folder_exits_3_and_changes_nothing(tmp_path, moto_endpoint, gnupghome):
    theirs = someone_elses_folder(tmp_path / "ws")
    before = snapshot(theirs)
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint)
    result = run_tfiam("replay", str(answers), "--auto-approve")
    assert result.returncode == Exit.INVALID_ANSWERS, result.stdout + result.stderr
    assert f"workspace: {theirs} is not empty" in result.stderr and "nothing was written" in result.stderr
    assert snapshot(theirs) == before


def test_replay_with_workspace_home_exits_3_and_changes_nothing(tmp_path, moto_endpoint, gnupghome):
    home = Path.home()
    before = snapshot(home)
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, workspace="~")
    result = run_tfiam("replay", str(answers), "--auto-approve")
    assert result.returncode == Exit.INVALID_ANSWERS, result.stdout + result.stderr
    assert "is your home folder" in result.stderr
    assert snapshot(home) == before


def test_a_partial_write_keeps_the_files_written_before_as_tfiams(tmp_path):
    """The wizard's background init writes only the provider files into a workspace that
    already holds the rest: the rest stays tfiam's, not someone else's."""
    ws = tmp_path / "ws"
    write_for(ws, "alice")
    answers = answers_for("alice")
    rendered = workspace.render(answers, PGP_B64)
    workspace.write(ws, {"versions.tf": rendered["versions.tf"]}, owner=workspace.owner_of(answers))
    assert "main.tf" in json.loads((ws / ownership.MANIFEST).read_text())["files"]
    write_for(ws, "alice")


def test_an_unclaimed_early_write_is_claimed_by_the_first_real_user(tmp_path):
    """The wizard's background init runs before the user is named: it leaves the workspace
    unclaimed, the full write claims it, and an unclaimed write never enters a claimed one."""
    ws = tmp_path / "ws"
    answers = answers_for("alice")
    rendered = workspace.render(answers, PGP_B64)
    unclaimed = workspace.Owner(ownership.IAM_USER, "")
    workspace.write(ws, {"versions.tf": rendered["versions.tf"]}, owner=unclaimed)
    write_for(ws, "alice")
    assert json.loads((ws / ownership.MANIFEST).read_text())["name"] == "alice"
    with pytest.raises(A.AnswersError, match="workspace of user alice"):
        workspace.write(ws, {"versions.tf": rendered["versions.tf"]}, owner=unclaimed)
