"""Small pieces of the command line front."""

from __future__ import annotations

import io
import sys

import pytest

from tfiam_tui import cli
from tfiam_tui.commands import common


@pytest.mark.parametrize("typed,forced", [("y\n", True), ("yes\n", True), ("\n", False), ("n\n", False), ("", False)])
def test_second_ctrl_c_prompt_forces_only_on_yes(monkeypatch, capsys, typed, forced):
    monkeypatch.setattr(common, "is_terminal", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert common.ask_force_stop() is forced
    assert "Its state may be lost. [y/N]" in capsys.readouterr().err


def test_no_terminal_never_forces(monkeypatch):
    monkeypatch.setattr(common, "is_terminal", lambda: False)
    assert common.ask_force_stop() is False


def test_exit_codes_are_listed_in_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for line in ("3  invalid answers", "6  refused", "130  interrupted"):
        assert line in out
