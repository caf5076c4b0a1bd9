"""SVG snapshots of the manage screens at 80x24: the first choice, and a user's status with
the rotation steps open now (a canned overview: the real one is read from AWS in
tests/tui/test_manage_terminal.py)."""

from __future__ import annotations

from typing import Any

from tests.tui.helpers import settle
from tfiam_tui.engine.lifecycle.manage import Choice, Overview
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session

STATUS = [
    "ci-bot  (arn:aws:iam::123456789012:user/ci-bot)",
    "  status          ok: matches the answers",
    "  access key a    AKIAEXAMPLEAAAAAAAAA  Active, last used 2026-11-30 (sts, eu-central-1)",
    "  access key b    AKIAEXAMPLEBBBBBBBBB  Active, never used",
    "  console         none",
    "  MFA             none",
    "  Expiry          2027-06-30 (210 days)",
]


class CannedManager:
    def problem(self, path: str) -> str | None:
        return None if path == "ci-bot.yaml" else f"{path}: no such answers file"

    def overview(self, path: str, width: int = 80) -> Any:
        return Overview(
            user="ci-bot", status_lines=STATUS, needs_action=[],
            where=["started 2026-12-01: the new key (slot b) is ready; the old one (slot a) still works."],
            choices=[Choice("cutover", "Cut over anyway", "make slot b the key in use though it was never used",
                            ("--force",)),
                     Choice("rollback", "Roll back", "delete the new key and keep the old one", ("--rollback",))],
            why_none="the new key has no recorded use yet", width=width)

    def run_step(self, path: str, flags: tuple[str, ...] = ()) -> int:
        raise AssertionError("no step runs in a snapshot")


def _app():
    return create_app(session=Session(terraform_bin="terraform-not-installed-for-snapshots"), manager=CannedManager())


def test_first_choice_snapshot(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=settle)


def test_manage_screen_with_status_and_rotation_steps_snapshot(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def go(pilot):
        await pilot.press("tab", "enter")  # Manage
        await pilot.pause()
        await pilot.press(*"ci-bot.yaml", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=(80, 24), run_before=go)
