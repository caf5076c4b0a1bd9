"""Hostile answers files: each is refused with a message naming the limit or the field,
without a traceback and before it costs much (the time and memory are measured by
bench/answers_limits.py, not asserted here: the machines are shared)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.test_answers import base
from tests.test_e2e import TFIAM
from tfiam_tui.engine import answers as A
from tfiam_tui.engine.answers import reading

LAUGHS = "version: 1\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))


def refused(text: str) -> A.Problem:
    with pytest.raises(A.AnswersError) as exc:
        A.loads(text, "hostile.yaml")
    assert len(exc.value.problems) == 1
    return exc.value.problems[0]


def test_an_alias_bomb_is_refused_without_expanding_it():
    assert len(LAUGHS) < 1024
    assert "through aliases" in refused(LAUGHS).message


def test_aliases_an_answers_file_might_use_still_work():
    text = yaml.safe_dump(base()) + "x-shared: &p [arn:aws:iam::aws:policy/ReadOnlyAccess]\n"
    data = A.load_data(text.replace("x-shared:", "# x\nx-shared:"))
    assert data["x-shared"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    doc = {**base(), "permissions": {"groups": [
        {"name": "a", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
        {"name": "b", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}]}}
    anchored = yaml.safe_dump(doc).replace(
        "  - managed_policies:\n    - arn:aws:iam::aws:policy/ReadOnlyAccess\n    name: a",
        "  - managed_policies: &ro\n    - arn:aws:iam::aws:policy/ReadOnlyAccess\n    name: a").replace(
        "  - managed_policies:\n    - arn:aws:iam::aws:policy/ReadOnlyAccess\n    name: b",
        "  - managed_policies: *ro\n    name: b")
    assert "*ro" in anchored
    loaded = A.loads(anchored)
    assert [g.managed_policies for g in loaded.permissions.groups] == [["arn:aws:iam::aws:policy/ReadOnlyAccess"]] * 2


def test_an_alias_to_itself_is_refused():
    assert "alias to itself" in refused("version: 1\nx: &a [1, *a]\n").message


def test_many_entries_are_refused_before_the_model_sees_them():
    tags = "".join(f"    k{i}: v\n" for i in range(5000))
    problem = refused(f"version: 1\nprovider: {{region: eu-central-1}}\nuser:\n  name: bob\n  tags:\n{tags}")
    assert problem.field == "user.tags" and "at most 1000" in problem.message


def test_too_many_items_in_total_are_refused():
    flow = "{" + ", ".join(f"k{i}: [a, b]" for i in range(6000)) + "}"
    assert "more than 20000 YAML items" in refused(f"version: 1\nx: {flow}\n").message


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deep_nesting_is_refused(depth):
    problem = refused("version: 1\nx: " + "[" * depth + "]" * depth + "\n")
    assert "nest" in problem.message


def test_a_list_as_a_key_is_a_problem_not_a_traceback():
    problem = refused("version: 1\n? [a, b]\n: c\n")
    assert "a list or map" in problem.message and "line 2" in problem.message


def test_a_number_as_a_key_names_the_field():
    problem = refused("version: 1\nprovider: {region: eu-central-1}\nuser: {name: bob, tags: {2024: x}}\n")
    assert problem.field == "user.tags" and "'2024' that is a number" in problem.message


def test_size_cap_on_text_and_on_files(tmp_path):
    big = "version: 1\n# " + "x" * reading.MAX_BYTES + "\n"
    assert "larger than 1024 KiB" in refused(big).message
    path = tmp_path / "big.yaml"
    path.write_text(big)
    with pytest.raises(A.AnswersError) as exc:
        A.load(path)
    assert "larger than 1024 KiB" in str(exc.value)


def test_dev_zero_is_read_only_up_to_the_cap():
    with pytest.raises(A.AnswersError) as exc:
        A.load("/dev/zero")
    assert "larger than 1024 KiB" in str(exc.value)


def test_dates_stay_text_and_duplicates_are_refused_with_libyaml_too():
    assert reading.Loader.__mro__[1].__name__ in ("CSafeLoader", "SafeLoader")
    data = A.load_data("version: 1\nExpiry: 2027-06-30\n")
    assert data["Expiry"] == "2027-06-30"
    assert "duplicate key 'user'" in refused("version: 1\nuser: {name: a}\nuser: {name: b}\n").message


@pytest.mark.parametrize("case", ["bomb", "devzero", "unhashable", "deep"])
def test_validate_refuses_hostile_files_with_exit_3_and_no_traceback(tmp_path, case):
    texts = {"bomb": LAUGHS, "unhashable": "version: 1\n? [a, b]\n: c\n",
             "deep": "version: 1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n"}
    path = "/dev/zero" if case == "devzero" else str(tmp_path / f"{case}.yaml")
    if case != "devzero":
        Path(path).write_text(texts[case])
    result = subprocess.run([TFIAM, "validate", path], capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 3, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "bug" not in out, out
    assert path in out
