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


ACTIONS = "sts:GetCallerIdentity, ecr:GetAuthorizationToken, ecr:BatchGetImage"


def ci_bot_keys(*, bad_first: bool = False, sandbox: bool = False, actions: str = ACTIONS,
                policy: list[str] | None = None, summary: tuple[str, ...] = (ENTER,)) -> list[str]:
    """The keystrokes for examples/ci-bot.yaml (key picked from the keyring: first one).
    ``sandbox``: no stand-in endpoint question; ``actions``: what is typed for the
    statement's actions; ``policy``: the keys typed at the first managed policy question;
    ``summary``: the keys at the summary (Enter: save)."""
    wrong = lambda text: [text + ENTER, KILL_LINE] if bad_first else []  # noqa: E731
    return [
        *wrong("eu-central"), KILL_LINE, "eu-central-1" + ENTER,  # region
        ENTER,                                # default credential chain
        ENTER, ENTER,                         # version constraints
        *([] if sandbox else ["n"]),          # no stand-in endpoint
        *wrong("ci bot"), "ci-bot" + ENTER,   # name
        ENTER,                                # path /
        *wrong("plat$form"), "platform" + ENTER, "ci" + ENTER,
        *wrong("2027-13-01"), "2027-06-30" + ENTER,
        "n",                                  # no other tag
        *wrong("PowerUserAccess"), ENTER,     # no boundary
        "y", "ci-group" + ENTER,              # create a group
        *(policy or ["PowerUserAccess" + ENTER]), ENTER,  # one managed policy, then finish
        "y", "ci-policy" + ENTER, "Least privilege for CI tasks" + ENTER,
        "y", ENTER,                           # a statement, Allow
        *wrong("GetCallerIdentity"),
        actions + ENTER,
        "*" + ENTER,
        "n", "n",                             # no more statements, no more groups
        ENTER, "n",                           # no existing groups, no direct attachments
        ENTER,                                # access key
        ENTER,                                # the first key in the keyring (op@example.com)
        ENTER,                                # local state
        ENTER,                                # workspace ./tfiam-ci-bot (the default)
        *summary,                             # the summary (Enter: these are right, save them)
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


# --------------------------------------------------------------------------- issue 17, item 8
# The summary numbers the answers in the order they were asked: with the keys above,
# 5 is the user name and 16 the statement's actions (the output says so; tests check it).
USER_NAME, ACTIONS_NO = "5", "16"


def test_under_sandbox_the_first_line_says_so_and_the_replay_hint_carries_it(tmp_path, gnupghome, monkeypatch):
    saved = tmp_path / "ci-bot.yaml"
    code, out = run_ask(ci_bot_keys(sandbox=True), "--sandbox", "--save", str(saved), "--plugin-dir", "/opt/x y",
                        monkeypatch=monkeypatch)
    assert code == 0, out
    assert out.splitlines()[0] == "SANDBOX · nothing touches a real AWS account"
    assert "no AWS account is touched" in flat(out)
    assert saved.read_text() == A.dumps(reference(gnupghome.op_fpr))
    hint = out.split("Repeat this any time with:\n", 1)[1].splitlines()[0]
    assert hint == f"  tfiam replay {saved} --plugin-dir '/opt/x y' --sandbox"  # whole, on one line to paste


def test_a_long_refusal_is_said_whole_at_80_columns(tmp_path, gnupghome, monkeypatch):
    """questionary's toolbar cut it at 80 columns and the did-you-mean was lost."""
    monkeypatch.setenv("COLUMNS", "80")
    saved = tmp_path / "ci-bot.yaml"
    keys = ci_bot_keys(policy=["PowerUserAcess" + ENTER, KILL_LINE, "PowerUserAccess" + ENTER])
    code, out = run_ask(keys, "--save", str(saved), monkeypatch=monkeypatch)
    assert code == 0, out
    assert ("refused: permissions.groups[0].managed_policies[0]: 'arn:aws:iam::aws:policy/PowerUserAcess' is not "
            "an AWS managed policy; did you mean arn:aws:iam::aws:policy/PowerUserAccess?") in flat(out)
    too_wide = [line for line in out.splitlines() if len(line) > 80 and not line.startswith("  tfiam ")]
    assert not too_wide  # every message wrapped (a command to paste stays on its own line)
    assert saved.read_text() == A.dumps(reference(gnupghome.op_fpr))  # the corrected policy


def test_a_misspelled_action_is_fixed_in_the_summary_and_saved_fixed(tmp_path, gnupghome, monkeypatch):
    saved = tmp_path / "ci-bot.yaml"
    misspelled = ACTIONS.replace("sts:GetCallerIdentity", "sts:GetCallerIdentiy")
    summary = (ENTER,                                      # save: refused, replay would stop on it
               ACTIONS_NO + ENTER, KILL_LINE, ACTIONS + ENTER,  # change the actions
               ENTER)                                      # save
    code, out = run_ask(ci_bot_keys(actions=misspelled, summary=summary), "--save", str(saved),
                        monkeypatch=monkeypatch)
    assert code == 0, out
    said = flat(out)
    assert ("'sts:GetCallerIdentiy' is not a sts action; did you mean sts:GetCallerIdentity?") in said
    assert ("refused: nothing is saved while permissions.groups[0].custom_policy.statements[0].actions[0]: "
            "TFIAM041 'sts:GetCallerIdentiy'") in said
    assert f"change answer {ACTIONS_NO} (Actions (group 1, statement 1))" in said
    assert f"{ACTIONS_NO}. Actions (group 1, statement 1): {misspelled}" in said
    assert f"{ACTIONS_NO}. Actions (group 1, statement 1): {ACTIONS}" in said
    assert saved.read_text() == A.dumps(reference(gnupghome.op_fpr))  # the fixed action, nothing else changed


def test_an_answer_changed_in_the_summary_to_something_invalid_is_refused_and_nothing_saved(
        tmp_path, gnupghome, monkeypatch):
    saved = tmp_path / "ci-bot.yaml"
    monkeypatch.chdir(tmp_path)
    summary = ("99" + ENTER, KILL_LINE,                       # no such answer
               USER_NAME + ENTER, KILL_LINE, "ci bot" + ENTER,  # change the name to one IAM refuses
               KILL_LINE, ENTER,                             # and to nothing
               CTRL_C, "n")                                  # give up; no draft either
    code, out = run_ask(ci_bot_keys(summary=summary)[:-1], "--save", str(saved), monkeypatch=monkeypatch)
    assert code == 130, out
    said = flat(out)
    assert "refused: '99' is not an answer's number; type 1 to 22, or nothing to save" in said
    assert ("refused: user.name: 'ci bot' has a space; IAM user names are 1-64 characters of letters, digits "
            "and + = , . @ _ -") in said
    assert "refused: user.name:" in said.split("'ci bot' has a space", 1)[1]  # the empty name too
    assert not saved.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_change_in_the_summary_asks_the_questions_that_depend_on_it(tmp_path, gnupghome, monkeypatch):
    """Switching the state from local to S3 in the summary asks for the bucket, and the
    summary lists it next to the backend."""
    saved = tmp_path / "ci-bot.yaml"
    backend = "21"
    summary = (backend + ENTER, DOWN + ENTER,                # S3
               "my-state" + ENTER, ENTER, ENTER,             # bucket, key (default), region (the provider's)
               ENTER)
    code, out = run_ask(ci_bot_keys(summary=summary), "--save", str(saved), monkeypatch=monkeypatch)
    assert code == 0, out
    assert f"{backend}. Backend: local" in flat(out)
    last = out.rsplit("Summary: every answer", 1)[1]
    assert f"{backend}. Backend: s3" in flat(last) and "22. State bucket: my-state" in flat(last)
    data = A.load(saved)
    assert data.backend.type == "s3" and data.backend.bucket == "my-state"
    assert data.backend.key == "iam/users/ci-bot.tfstate"


def test_the_draft_hint_carries_every_option(tmp_path, gnupghome, monkeypatch):
    monkeypatch.chdir(tmp_path)
    keys = [ENTER, ENTER, ENTER, ENTER, CTRL_C, "y"]
    code, out = run_ask(keys, "--sandbox", "--plugin-dir", "/opt/p", monkeypatch=monkeypatch)
    assert code == 130
    hint = out.split("continue with:\n", 1)[1].splitlines()[0]
    assert hint == "  tfiam ask --answers tfiam-answers.yaml --plugin-dir /opt/p --sandbox"
