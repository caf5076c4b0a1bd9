"""Small pieces of the command line front."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tfiam_tui.commands import cli, common


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


# --------------------------------------------------------------------------- the last-resort handler

# The shortest command line that reaches each subcommand's function.
ARGV = {
    "replay": ["replay", "answers.yaml"],
    "validate": ["validate", "answers.yaml"],
    "lint": ["lint", "answers.yaml"],
    "decrypt": ["decrypt"],
    "wizard": ["wizard"],
    "ask": ["ask"],
    "backend": ["backend", "bootstrap", "answers.yaml"],
    "unlock": ["unlock", "answers.yaml"],
    "status": ["status", "answers.yaml"],
    "rotate": ["rotate", "answers.yaml"],
    "offboard": ["offboard", "answers.yaml"],
    "sandbox": ["sandbox", "status"],
    "adopt": ["adopt", "some-user", "--save", "adopted.yaml"],
}


def _subparsers(parser):
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def _parser_whose_commands_raise(exc: BaseException):
    parser = cli.build_parser()

    def boom(args, console):
        raise exc

    def patch(p):
        p.set_defaults(func=boom)
        for action in p._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for sub in action.choices.values():
                    patch(sub)

    patch(parser)
    return parser


def test_every_subcommand_is_covered_by_the_handler_tests():
    assert set(_subparsers(cli.build_parser())) == set(ARGV)


@pytest.mark.parametrize("command", sorted(ARGV))
def test_an_unexpected_error_in_any_subcommand_is_one_line_and_exit_1(monkeypatch, capsys, command):
    monkeypatch.delenv("TFIAM_DEBUG", raising=False)
    parser = _parser_whose_commands_raise(RuntimeError("disk on fire"))
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(ARGV[command]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("tfiam: unexpected error (RuntimeError: disk on fire); this is a bug in tfiam")
    assert "TFIAM_DEBUG=1" in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_tfiam_debug_adds_the_traceback(monkeypatch, capsys):
    monkeypatch.setenv("TFIAM_DEBUG", "1")
    parser = _parser_whose_commands_raise(RuntimeError("disk on fire"))
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(ARGV["validate"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().splitlines()[-1].startswith("tfiam: unexpected error (RuntimeError: disk on fire)")


def test_an_unexpected_error_names_no_secret(monkeypatch, capsys):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # shaped like a secret access key
    parser = _parser_whose_commands_raise(ValueError(f"bad credentials {secret}"))
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(ARGV["replay"]) == 1
    err = capsys.readouterr().err
    assert "bad credentials [redacted]" in err
    assert secret not in err


@pytest.mark.parametrize("command", ["replay", "unlock", "rotate", "offboard"])
def test_ctrl_c_in_a_terraform_command_says_to_run_again(monkeypatch, capsys, command):
    parser = _parser_whose_commands_raise(KeyboardInterrupt())
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(ARGV[command]) == 130
    assert "Run the same command again to continue" in capsys.readouterr().err


def test_the_handler_works_in_a_fresh_interpreter_where_no_engine_error_class_was_imported(tmp_path):
    # The bug this guards against: except clauses built from modules never imported became
    # `except ((), ())`, and Python raised TypeError with a traceback instead of exit 1.
    code = (
        "import sys\n"
        "import tfiam_tui.commands.validate as v\n"
        "def boom(args, console): raise OSError('the disk went away')\n"
        "v.cmd_validate = boom\n"
        "from tfiam_tui.commands.cli import main\n"
        "rc = main(['validate', 'answers.yaml'])\n"
        "assert 'tfiam_tui.engine.terraform.events' not in sys.modules\n"
        "raise SystemExit(rc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TFIAM_DEBUG"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        "tfiam: unexpected error (OSError: the disk went away); this is a bug in tfiam: "
        "run again with TFIAM_DEBUG=1 for details and report it"
    ]


def _tfiam() -> str:
    return str(Path(sys.executable).with_name("tfiam"))


@pytest.mark.parametrize("command", ["validate", "lint"])
def test_ctrl_c_while_reading_the_answers_exits_130_quietly(tmp_path, command):
    """The real binary, blocked reading its answers from a FIFO nobody writes to, gets a
    real SIGINT: exit 130, nothing on stderr (no traceback, no word about terraform)."""
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    # As from a terminal: SIGINT at its default, even when this test runs under a parent
    # that ignores it (a background job in a script), which Python would inherit.
    proc = subprocess.Popen([_tfiam(), command, str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    writer = None
    try:
        deadline = time.monotonic() + 60
        while writer is None:  # opening the write end succeeds once tfiam has the read end open
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "tfiam never opened the answers file"
                time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if writer is not None:
            os.close(writer)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert err == ""
    assert "Traceback" not in out



# The console script's own line, `from tfiam_tui.commands.entry import main`, runs before
# any code of tfiam's can guard it, as the interpreter's start-up does; it imports three tiny
# modules.  The child runs it (and the interpreter's start-up) with SIGINT ignored, then
# waits for the go: the interrupt lands in main(), in the imports tfiam guards.
STARTING = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # until the parent says go
from tfiam_tui.commands.entry import main  # what the console script runs
os.read(int(sys.argv[1]), 1)
sys.argv = ["tfiam", "validate", sys.argv[2]]
signal.signal(signal.SIGINT, signal.default_int_handler)  # as Python sets it at start-up
sys.exit(main())
"""


def test_ctrl_c_while_tfiam_is_still_importing_is_quiet(tmp_path):
    """A Ctrl-C while tfiam imports the engine (a second or more on a busy machine): exit
    130, no traceback.  The child waits for a go before main() runs, so the interrupt lands
    in tfiam's imports and not in the interpreter's own start-up or the console script's
    import line (which no program can guard; see STARTING)."""
    answers = tmp_path / "bot.yaml"
    answers.write_text("version: 1\n")
    outcomes = []
    for delay in (0.0, 0.02, 0.05, 0.1):
        read, write = os.pipe()
        proc = subprocess.Popen([sys.executable, "-c", STARTING, str(read), str(answers)], pass_fds=(read,),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(read)
        time.sleep(0.5)  # the interpreter is up and waiting (SIGINT ignored until the go)
        os.write(write, b"g")
        os.close(write)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        assert proc.returncode in (130, 3), (delay, proc.returncode, err)  # 3: validate was done first
        outcomes.append(proc.returncode)
    assert 130 in outcomes, outcomes  # the interrupt landed in the imports at least once
