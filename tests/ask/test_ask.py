"""``tfiam ask`` driven through questionary's real prompts with scripted keystrokes
(prompt_toolkit's pipe input), as the operator would type them."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tfiam_tui.ask import fields
from tfiam_tui.commands import cli
from tfiam_tui.engine import answers as A
from tfiam_tui.engine.terraform import workspace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENTER, DOWN, CTRL_C, KILL_LINE = "\r", "\x1b[B", "\x03", "\x15"


def run_ask(keys: list[str], *argv: str, monkeypatch, create: bool = True) -> tuple[int, str]:
    """Run ``tfiam ask ARGV`` on a pretend terminal, typing ``keys``; return (exit, stdout).
    ``create``: answer the first question ("What do you want to do?") with its default,
    creating a user; False: ``keys`` answer it too."""
    keys = [ENTER, *keys] if create else keys
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    out = io.StringIO()
    out.isatty = lambda: True  # type: ignore[method-assign]
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("".join(keys))
        pipe.close()  # running out of keys ends the session (EOFError), never a hang
        with contextlib.redirect_stdout(out):
            code = cli.main(["ask", *argv])
    return code, out.getvalue()


def flat(out: str) -> str:
    """The output with its line breaks and indents as single spaces: what was said, however
    it was wrapped to the terminal."""
    return " ".join(out.split())


def ci_bot_keys(*, bad_first: bool = False) -> list[str]:
    """The keystrokes for examples/ci-bot.yaml (key picked from the keyring: first one)."""
    wrong = lambda text: [text + ENTER, KILL_LINE] if bad_first else []  # noqa: E731
    return [
        *wrong("eu-central"), KILL_LINE, "eu-central-1" + ENTER,  # region
        ENTER,                                # default credential chain
        ENTER, ENTER,                         # version constraints
        "n",                                  # no stand-in endpoint
        *wrong("ci bot"), "ci-bot" + ENTER,   # name
        ENTER,                                # path /
        *wrong("plat$form"), "platform" + ENTER, "ci" + ENTER,
        *wrong("2027-13-01"), "2027-06-30" + ENTER,
        "n",                                  # no other tag
        *wrong("PowerUserAccess"), ENTER,     # no boundary
        "y", "ci-group" + ENTER,              # create a group
        "PowerUserAccess" + ENTER, ENTER,     # one managed policy, then finish
        "y", "ci-policy" + ENTER, "Least privilege for CI tasks" + ENTER,
        "y", ENTER,                           # a statement, Allow
        *wrong("GetCallerIdentity"),
        "sts:GetCallerIdentity, ecr:GetAuthorizationToken, ecr:BatchGetImage" + ENTER,
        "*" + ENTER,
        "n", "n",                             # no more statements, no more groups
        ENTER, "n",                           # no existing groups, no direct attachments
        ENTER,                                # access key
        ENTER,                                # the first key in the keyring (op@example.com)
        ENTER,                                # local state
        ENTER,                                # workspace ./tfiam-ci-bot (the default)
        ENTER,                                # the summary: these are right, save them
        "n",                                  # don't run now
    ]


def reference(op_fpr: str) -> A.Answers:
    data = A.to_data(A.load(EXAMPLES / "ci-bot.yaml"))
    data["authentication"]["pgp_key"] = op_fpr
    return A.parse(data)


def test_a_full_session_writes_the_reference_answers_file(tmp_path, gnupghome, monkeypatch):
    saved = tmp_path / "ci-bot.yaml"
    code, out = run_ask(ci_bot_keys(), "--save", str(saved), monkeypatch=monkeypatch)
    assert code == 0, out
    assert saved.read_text() == A.dumps(reference(gnupghome.op_fpr))
    assert "TFIAM006" in flat(out) and "PowerUserAccess is broad" in flat(out)  # lint shown before saving
    assert f"tfiam replay {saved}" in out


def test_wrong_answers_are_asked_again_with_the_rule(tmp_path, gnupghome, monkeypatch):
    seen: list[tuple[str, str]] = []
    real = fields.problem_for

    def recording(data, path):
        message = real(data, path)
        if message:
            seen.append((path, message))
        return message

    monkeypatch.setattr(fields, "problem_for", recording)
    saved = tmp_path / "ci-bot.yaml"
    code, out = run_ask(ci_bot_keys(bad_first=True), "--save", str(saved), monkeypatch=monkeypatch)
    assert code == 0, out
    assert saved.read_text() == A.dumps(reference(gnupghome.op_fpr))  # the corrected answers
    messages = dict(seen)
    assert "not an AWS region" in messages["provider.region"]
    assert "has a space; IAM user names are 1-64 characters" in messages["user.name"]
    assert "'$'" in messages["user.tags.Owner"]
    assert "is not a policy ARN" in messages["user.permissions_boundary"]
    actions = "permissions.groups[0].custom_policy.statements[0].actions"
    assert "service:Action" in messages[actions]


def test_saved_values_are_the_defaults_and_enter_keeps_them(tmp_path, gnupghome, monkeypatch):
    source = tmp_path / "in.yaml"
    source.write_text((EXAMPLES / "ci-bot.yaml").read_text())
    saved = tmp_path / "out.yaml"
    code, out = run_ask([ENTER] * 60, "--answers", str(source), "--save", str(saved), monkeypatch=monkeypatch)
    assert code == 0, out
    assert A.load(saved) == A.load(source)


def test_ctrl_c_offers_to_save_a_draft_and_writes_nothing_else(tmp_path, gnupghome, monkeypatch):
    monkeypatch.chdir(tmp_path)
    keys = [ENTER, ENTER, ENTER, ENTER, "n", "ci-bot" + ENTER, CTRL_C, "y"]
    code, out = run_ask(keys, monkeypatch=monkeypatch)
    assert code == 130
    draft = tmp_path / "tfiam-answers.yaml"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tfiam-answers.yaml"]
    text = draft.read_text()
    assert text.startswith("# tfiam answers (draft")
    assert "name: ci-bot" in text and "eu-central-1" in text
    # the draft continues where it stopped: its values are the defaults next time
    code, out = run_ask([ENTER] * 3, "--answers", str(draft), monkeypatch=monkeypatch)
    assert code == 130  # ran out of keys again, and was offered the draft again


def test_refuses_without_a_terminal(capsys):
    code = cli.main(["ask"])
    assert code == 6
    assert "tfiam replay" in capsys.readouterr().err


def test_answers_from_ask_give_the_same_workspace_in_replay_and_the_wizard(tmp_path, gnupghome, monkeypatch):
    """What ask saved, loaded the way replay loads it and the way the wizard loads it,
    renders byte for byte the same workspace as the hand-written file."""
    saved = tmp_path / "ci-bot.yaml"
    code, _ = run_ask(ci_bot_keys(), "--save", str(saved), monkeypatch=monkeypatch)
    assert code == 0
    by_hand = reference(gnupghome.op_fpr)
    from_replay = workspace.render(A.load(saved), "a2V5")  # what `tfiam replay FILE` loads
    from tfiam_tui.tui.form import Form

    from_wizard = workspace.render(Form.from_file(saved).answers(), "a2V5")
    assert from_replay == from_wizard == workspace.render(by_hand, "a2V5")


def test_interview_state_is_plain_answers_data():
    data = {}
    fields.set_at(data, "permissions.groups[0].custom_policy.statements[1].actions", ["s3:GetObject"])
    assert data == {"permissions": {"groups": [{"custom_policy": {"statements": [{}, {"actions": ["s3:GetObject"]}]}}]}}
    assert fields.get_at(data, "permissions.groups[0].custom_policy.statements[1].actions") == ["s3:GetObject"]
    assert fields.get_at(data, "user.name", "x") == "x"


@pytest.mark.parametrize("text,ok", [("2027-06-30", True), ("2027-13-01", False), ("tomorrow", False)])
def test_expiry_must_be_a_date(text, ok):
    if ok:
        assert fields.date(text) == text
    else:
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            fields.date(text)


def test_the_replay_hint_and_the_run_carry_every_option_ask_was_given(tmp_path, monkeypatch):
    """"Repeat this any time with: tfiam replay X" left out --sandbox: pasted, it would have
    run against the operator's real account."""
    from tfiam_tui.commands.ask import replay_argv
    from tfiam_tui.commands.cli import build_parser
    from tfiam_tui.engine.text import command

    saved = tmp_path / "my bot.yaml"
    args = build_parser().parse_args(["ask", "--sandbox", "--plugin-dir", "/opt/tf plugins", "--terraform-bin", "tofu"])
    argv = replay_argv(args, saved)
    assert argv == ["replay", str(saved), "--plugin-dir", "/opt/tf plugins", "--terraform-bin", "tofu", "--sandbox"]
    assert build_parser().parse_args(argv).sandbox  # what ask runs is what it prints
    assert command("tfiam", *argv).endswith("--terraform-bin tofu --sandbox")
    monkeypatch.delenv("TFIAM_TERRAFORM_BIN", raising=False)
    assert replay_argv(build_parser().parse_args(["ask"]), saved) == ["replay", str(saved)]
