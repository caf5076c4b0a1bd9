"""Every wizard test runs in its own folder: the wizard writes answers and workspaces
relative to the current directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
