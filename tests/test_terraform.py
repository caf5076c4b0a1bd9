"""The terraform adapter against the real terraform binary.

Most configs use only the built-in ``terraform_data`` resource: no provider, so
plan/apply take well under a second and the tests stay fast.  One test inits the
real hashicorp/aws provider from the local mirror.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tfiam_tui.engine.terraform.cliconfig import cli_config_notice
from tfiam_tui.engine.terraform.events import (
    ChangeSummary,
    Diagnostic,
    Finished,
    Line,
    PlannedChange,
    ResourceProgress,
    TerraformFailed,
    TerraformNotFound,
    run_to_end,
)
from tfiam_tui.engine.terraform.runner import Runner

TWO_RESOURCES = """
resource "terraform_data" "a" {
  input = "alpha"
}
resource "terraform_data" "b" {
  input = terraform_data.a.output
}
output "b_value" {
  value = terraform_data.b.output
}
"""

# "fast" is created first, then "slow" sits in a 30 s provisioner we interrupt.
SLOW = """
resource "terraform_data" "fast" {
  input = "done"
}
resource "terraform_data" "slow" {
  depends_on = [terraform_data.fast]
  provisioner "local-exec" {
    command = "echo started; exec sleep 30"
  }
}
"""


def workspace(tmp_path: Path, hcl: str) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "main.tf").write_text(hcl)
    return ws


def collect(events) -> list:
    out = list(events)
    assert isinstance(out[-1], Finished), out[-1]
    return out


def planned(runner: Runner) -> list:
    run_to_end(runner.init())
    return collect(runner.plan())


def plan_invocations(runner: Runner) -> list[list[str]]:
    return [argv for argv in runner.invocations if argv[1] == "plan"]


def test_binary_version_reports_the_installed_terraform(tmp_path, terraform_bin):
    version = Runner(tmp_path, terraform_bin=terraform_bin).binary_version()
    major, minor, *_ = version.split(".")
    assert (int(major), int(minor)) >= (1, 6), version


def test_missing_binary_names_it_and_says_how_to_choose_another(tmp_path):
    runner = Runner(tmp_path, terraform_bin="no-such-terraform-bin")
    with pytest.raises(TerraformNotFound) as err:
        runner.binary_version()
    assert "no-such-terraform-bin" in str(err.value)
    assert "--terraform-bin" in str(err.value)
    with pytest.raises(TerraformNotFound):
        runner.plan()  # raised at the call, before anyone iterates
    assert runner.invocations == []


def test_lines_stream_while_terraform_is_still_running(tmp_path, terraform_bin):
    ws = workspace(
        tmp_path,
        """
resource "terraform_data" "talker" {
  provisioner "local-exec" {
    command = "echo first-line; sleep 3; echo second-line"
  }
}
""",
    )
    runner = Runner(ws, terraform_bin=terraform_bin)
    planned(runner)
    seen: dict[str, float] = {}
    running_at_first_line = None
    for event in runner.apply():
        if isinstance(event, Line) and "first-line" in event.text and "first" not in seen:
            seen["first"] = time.monotonic()
            running_at_first_line = runner.running
        if isinstance(event, Line) and "second-line" in event.text:
            seen["second"] = time.monotonic()
        if isinstance(event, Finished):
            finished = event
    assert running_at_first_line is True
    assert seen["second"] - seen["first"] >= 2.5  # shown as printed, not when terraform exited
    assert finished.ok and not runner.running


def test_plan_then_apply_uses_the_one_saved_plan(tmp_path, terraform_bin):
    ws = workspace(tmp_path, TWO_RESOURCES)
    runner = Runner(ws, terraform_bin=terraform_bin)
    plan_events = planned(runner)
    assert plan_events[-1].changes is True and plan_events[-1].returncode == 2
    assert (ws / "tfiam.tfplan").is_file()

    apply_done = run_to_end(runner.apply("tfiam.tfplan"))
    assert apply_done.ok and apply_done.changes is True

    assert len(plan_invocations(runner)) == 1
    apply_argv = [argv for argv in runner.invocations if argv[1] == "apply"]
    assert len(apply_argv) == 1
    assert apply_argv[0][-1] == "tfiam.tfplan"
    assert "-auto-approve" not in apply_argv[0] and "-input=false" in apply_argv[0]
    assert runner.output(values_only=True) == {"b_value": "alpha"}
    state = json.loads((ws / "terraform.tfstate").read_text())
    assert sorted(r["name"] for r in state["resources"]) == ["a", "b"]


def test_plan_and_apply_events_are_typed(tmp_path, terraform_bin):
    ws = workspace(tmp_path, TWO_RESOURCES)
    runner = Runner(ws, terraform_bin=terraform_bin)
    plan_events = planned(runner)
    assert PlannedChange("terraform_data.a", "create") in plan_events
    assert PlannedChange("terraform_data.b", "create") in plan_events
    assert ChangeSummary(add=2, change=0, remove=0, operation="plan") in plan_events
    assert any(isinstance(e, Line) and e.text == "Plan: 2 to add, 0 to change, 0 to destroy." for e in plan_events)

    apply_events = collect(runner.apply())
    assert ResourceProgress("terraform_data.a", "create", "start") in apply_events
    assert ResourceProgress("terraform_data.b", "create", "complete") in apply_events
    assert ChangeSummary(add=2, change=0, remove=0, operation="apply") in apply_events
    assert not any(isinstance(e, Line) and e.text.startswith("{") for e in apply_events)  # no raw JSON


def test_a_slow_reader_still_delivers_every_event_before_finished(tmp_path, terraform_bin, monkeypatch):
    """On a machine busy elsewhere the thread that reads terraform's output can lag well
    behind terraform's exit.  The events were cut off 2 s after the exit: a plan with
    changes came out without its summary (and tfiam called it "No changes").  Here the
    reader looks for output only every 3 s, so it is still behind when terraform exits."""
    from tfiam_tui.engine.terraform import process

    ws = workspace(tmp_path, TWO_RESOURCES)
    runner = Runner(ws, terraform_bin=terraform_bin)
    run_to_end(runner.init())
    monkeypatch.setattr(process, "_TAIL_SECONDS", 3.0)
    events = collect(runner.plan())
    assert ChangeSummary(add=2, change=0, remove=0, operation="plan") in events, events
    assert events.index(ChangeSummary(add=2, change=0, remove=0, operation="plan")) < len(events) - 1


def test_detailed_exitcode_maps_to_changes(tmp_path, terraform_bin):
    ws = workspace(tmp_path, TWO_RESOURCES)
    runner = Runner(ws, terraform_bin=terraform_bin)
    assert planned(runner)[-1].changes is True
    run_to_end(runner.apply())
    again = collect(runner.plan())[-1]
    assert (again.returncode, again.changes, again.ok) == (0, False, True)
    destroy = collect(runner.plan(destroy=True))
    assert destroy[-1].changes is True
    assert ChangeSummary(add=0, change=0, remove=2, operation="plan") in destroy
    assert PlannedChange("terraform_data.a", "delete") in destroy


def test_failed_plan_is_reported_and_leaves_no_plan_to_apply(tmp_path, terraform_bin):
    ws = workspace(tmp_path, TWO_RESOURCES)
    runner = Runner(ws, terraform_bin=terraform_bin)
    planned(runner)
    (ws / "main.tf").write_text('resource "terraform_data" "a" {\n  input = var.missing\n}\n')
    events = collect(runner.plan())
    finished = events[-1]
    assert (finished.returncode, finished.changes, finished.ok) == (1, None, False)
    errors = [e for e in events if isinstance(e, Diagnostic) and e.severity == "error"]
    assert errors and "undeclared input variable" in errors[0].summary.lower()
    assert not (ws / "tfiam.tfplan").exists()  # the older plan was removed before planning
    with pytest.raises(FileNotFoundError):
        runner.apply()
    with pytest.raises(TerraformFailed) as err:
        run_to_end(runner.plan())
    assert err.value.returncode == 1
    assert any("undeclared input variable" in line.lower() for line in err.value.last_lines)


def test_tf_log_never_reaches_terraform(tmp_path, terraform_bin, monkeypatch):
    log_file = tmp_path / "tf.log"
    monkeypatch.setenv("TF_LOG", "TRACE")
    monkeypatch.setenv("TF_LOG_PATH", str(log_file))
    monkeypatch.setenv("TF_LOG_PROVIDER", "DEBUG")
    ws = workspace(
        tmp_path,
        """
resource "terraform_data" "envdump" {
  provisioner "local-exec" {
    command = "env > child.env"
  }
}
""",
    )
    runner = Runner(ws, terraform_bin=terraform_bin, extra_env={"TFIAM_PROBE": "yes", "TF_LOG_CORE": "TRACE"})
    planned(runner)
    run_to_end(runner.apply())
    child = dict(line.split("=", 1) for line in (ws / "child.env").read_text().splitlines() if "=" in line)
    assert not [name for name in child if name.startswith("TF_LOG")]
    assert child["TFIAM_PROBE"] == "yes"
    assert child["TF_IN_AUTOMATION"] == "1" and child["TF_INPUT"] == "0"
    assert not log_file.exists()


def test_missing_cli_config_is_named_once_not_per_command(tmp_path, terraform_bin, monkeypatch):
    missing = tmp_path / "missing.tfrc"
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(missing))
    runner = Runner(workspace(tmp_path, TWO_RESOURCES), terraform_bin=terraform_bin)
    events = collect(runner.init())
    assert events[-1].ok
    assert not any("Unable to open CLI configuration file" in e.text for e in events if isinstance(e, Line))
    assert str(missing) in (cli_config_notice() or "")


def test_real_warnings_still_reach_the_operator(tmp_path, terraform_bin, monkeypatch):
    config = tmp_path / "cli.tfrc"
    config.write_text("provider_installation {\n  foo {}\n}\n")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
    runner = Runner(workspace(tmp_path, TWO_RESOURCES), terraform_bin=terraform_bin)
    events = collect(runner.init())
    assert cli_config_notice() is None
    text = "\n".join(e.text for e in events if isinstance(e, Line))
    assert "Unknown provider installation method \"foo\"" in text, text


def _assert_stopped_cleanly(ws: Path, runner: Runner) -> None:
    assert runner.sigints_sent == 1
    assert not runner.running
    state = json.loads((ws / "terraform.tfstate").read_text())  # valid JSON, saved
    assert "fast" in [r["name"] for r in state["resources"]]
    assert not (ws / ".terraform.tfstate.lock.info").exists()  # lock released


def test_interrupt_sends_one_sigint_and_waits_for_terraform(tmp_path, terraform_bin):
    ws = workspace(tmp_path, SLOW)
    runner = Runner(ws, terraform_bin=terraform_bin)
    planned(runner)
    sent_at = None
    notices = []
    for event in runner.apply():
        if isinstance(event, Line) and event.text.endswith("(local-exec): started") and sent_at is None:
            sent_at = time.monotonic()
            assert runner.interrupt() is True
            # the TUI may call again (impatient user): only a notice, never a 2nd SIGINT
            assert runner.interrupt() is False
        if isinstance(event, Line) and event.stream == "tfiam":
            notices.append(event.text)
        if isinstance(event, Finished):
            finished = event
    assert sent_at is not None
    assert time.monotonic() - sent_at < 10  # not the provisioner's 30 s
    assert finished.interrupted and not finished.ok
    # The second call queues a notice only if terraform is still stopping by then (on a
    # loaded machine it may already be gone); either way there was exactly one SIGINT.
    assert runner.sigints_sent == 1
    assert "asked terraform to stop" in notices[0]
    assert len(notices) <= 2 and all("already asked" in n for n in notices[1:])
    _assert_stopped_cleanly(ws, runner)


def test_abandoning_the_events_still_stops_terraform_cleanly(tmp_path, terraform_bin, capsys):
    ws = workspace(tmp_path, SLOW)
    runner = Runner(ws, terraform_bin=terraform_bin)
    planned(runner)
    events = runner.apply()
    for event in events:
        if isinstance(event, Line) and event.text.endswith("(local-exec): started"):
            break  # e.g. the front crashed or the window closed
    started = time.monotonic()
    events.close()
    assert time.monotonic() - started < 10
    assert "stopping terraform" in capsys.readouterr().err
    _assert_stopped_cleanly(ws, runner)


CONSUMER = """
import signal
import sys
from pathlib import Path

# As when started from a terminal.  pytest may itself run with SIGINT ignored (e.g. started
# with `&` by a shell without job control); Python then keeps it ignored, and the Ctrl-C
# under test would never become a KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)
from tfiam_tui.engine.terraform.events import Line, run_to_end
from tfiam_tui.engine.terraform.runner import Runner

runner = Runner(Path(sys.argv[1]), terraform_bin=sys.argv[2])
try:
    run_to_end(runner.apply(), lambda e: print(e.text, flush=True) if isinstance(e, Line) else None)
except KeyboardInterrupt:
    print(f"KEYBOARD_INTERRUPT sigints_sent={runner.sigints_sent} running={runner.running}", flush=True)
    sys.exit(130)
"""


def _wait_until_blocked(pid: int, *, timeout: float = 30.0) -> None:
    """Return once the main thread of ``pid`` is asleep (state S) on three reads in a row:
    an event we observe, not a guess at how fast the process runs."""
    deadline = time.monotonic() + timeout
    asleep = 0
    while asleep < 3:
        assert time.monotonic() < deadline, f"process {pid} never blocked"
        stat = Path(f"/proc/{pid}/task/{pid}/stat").read_text()
        asleep = asleep + 1 if stat.rsplit(")", 1)[1].split()[0] == "S" else 0
        time.sleep(0.01)


def test_terminal_ctrl_c_stops_terraform_gracefully_then_reraises(tmp_path, terraform_bin):
    """Like a terminal: Ctrl-C goes to the whole foreground process group of a tfiam
    process.  terraform must not get it too (a 2nd SIGINT makes it exit at once)."""
    ws = workspace(tmp_path, SLOW)
    planned(Runner(ws, terraform_bin=terraform_bin))
    script = tmp_path / "consumer.py"
    script.write_text(CONSUMER)
    front = subprocess.Popen(
        [sys.executable, str(script), str(ws), terraform_bin],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group, standing in for the terminal's
    )
    output: list[str] = []
    sent_at = None
    for line in front.stdout:
        output.append(line.rstrip("\n"))
        if line.rstrip().endswith("(local-exec): started") and sent_at is None:
            _wait_until_blocked(front.pid)  # the front is now waiting for output, as it would be
            sent_at = time.monotonic()
            os.killpg(front.pid, signal.SIGINT)
    assert front.wait(timeout=30) == 130, output
    assert sent_at is not None and time.monotonic() - sent_at < 10
    text = "\n".join(output)
    assert text.count("Interrupt received") == 1, text
    assert "Two interrupts received" not in text
    assert "KEYBOARD_INTERRUPT sigints_sent=1 running=False" in text
    state = json.loads((ws / "terraform.tfstate").read_text())
    assert "fast" in [r["name"] for r in state["resources"]]
    assert not (ws / ".terraform.tfstate.lock.info").exists()


def test_validate_and_fmt_check(tmp_path, terraform_bin):
    ws = workspace(tmp_path, 'resource "terraform_data" "x"{\ninput=var.nope\n}\n')
    runner = Runner(ws, terraform_bin=terraform_bin)
    run_to_end(runner.init())
    events = collect(runner.validate())
    assert not events[-1].ok
    assert any(isinstance(e, Diagnostic) and e.severity == "error" for e in events)
    fmt = collect(runner.fmt_check())
    assert not fmt[-1].ok
    assert any(isinstance(e, Line) and e.text == "main.tf" for e in fmt)


def _size_without_following_links(root: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def test_init_links_the_aws_provider_from_the_mirror(tmp_path, terraform_bin, tf_plugin_dir, monkeypatch):
    monkeypatch.setenv("TFIAM_PLUGIN_DIR", tf_plugin_dir)  # documented way to pass the mirror
    ws = workspace(
        tmp_path,
        """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
""",
    )
    runner = Runner(ws, terraform_bin=terraform_bin)
    finished = run_to_end(runner.init())
    assert finished.ok
    assert runner.invocations[-1][:2] == [terraform_bin, "init"]
    assert f"-plugin-dir={tf_plugin_dir}" in runner.invocations[-1]
    assert "-reconfigure" not in runner.invocations[-1]
    installed = list((ws / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws").glob("*/*"))
    assert installed and all(p.is_symlink() for p in installed)
    assert Path(os.path.realpath(installed[0])).is_relative_to(os.path.realpath(tf_plugin_dir))
    assert _size_without_following_links(ws) < 1_000_000


# A stand-in for a terraform that is slow to stop: the first SIGINT starts a clean
# shutdown (here: 3 s of "saving state"); a second one forces it out, as terraform does.
# Python, not bash: like terraform's signal.Notify, signal.signal takes SIGINT even when
# it was ignored at entry (a background pytest), where bash's `trap ... INT` silently does
# nothing.
SLOW_TO_STOP = """
import signal, sys, time
if sys.argv[1:2] == ["version"]:
    print('{"terraform_version": "1.11.4"}')
    sys.exit(0)
deadline = time.monotonic() + 60  # never reached: the test interrupts at "started"
stops = 0

def on_sigint(signum, frame):
    global deadline, stops
    stops += 1
    if stops >= 2:
        print("forced", flush=True)
        sys.exit(130)
    print("stopping", flush=True)
    deadline = time.monotonic() + 3

signal.signal(signal.SIGINT, on_sigint)
print('{"@message": "started", "type": "log"}', flush=True)
while time.monotonic() < deadline:
    time.sleep(0.05)
print('{"@message": "state saved", "type": "log"}', flush=True)
sys.exit(1)
"""


@pytest.mark.parametrize("force", [False, True])
def test_a_second_interrupt_asks_before_forcing_terraform_out(tmp_path, force):
    fake = tmp_path / "slow-terraform"
    fake.write_text(f"#!{sys.executable}\n{SLOW_TO_STOP}")
    fake.chmod(0o755)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "x.tfplan").write_text("a saved plan")
    runner = Runner(ws, terraform_bin=str(fake))
    asked = []
    runner.confirm_force_stop = lambda: asked.append(True) or force
    texts = []
    for event in runner.apply("x.tfplan"):
        if isinstance(event, Line):
            texts.append(event.text)
            if event.text == "started":
                assert runner.interrupt() is True  # the one clean stop
            if event.text == "stopping":  # terraform is in its clean stop: interrupt again
                assert runner.interrupt() is force  # asked first; forces only on yes
        if isinstance(event, Finished):
            finished = event
    assert asked == [True]
    assert runner.sigints_sent == (2 if force else 1)
    if force:
        assert "forced" in texts and "state saved" not in texts
        assert any("its state may be incomplete" in t for t in texts)
    else:
        assert "state saved" in texts  # it was left to finish its clean stop
        assert any("still waiting" in t for t in texts)
    assert finished.interrupted


# ------------------------------------------------- what terraform is doing, as typed events


def test_the_stream_says_terraform_started_what_it_reads_and_how_long_each_resource_took(tmp_path, terraform_bin):
    """The events a front needs to say what is happening at every moment: terraform's
    version first (it has started), each resource read back from state (refresh), each
    apply hook with terraform's own elapsed seconds, and the exit code in words."""
    from tfiam_tui.engine.terraform.events import RefreshProgress, TerraformVersion, exit_words

    ws = workspace(tmp_path, TWO_RESOURCES)
    runner = Runner(ws, terraform_bin=terraform_bin)
    first = planned(runner)
    typed = [e for e in first if not isinstance(e, Line)]
    assert isinstance(typed[0], TerraformVersion) and typed[0].version.count(".") == 2, typed[:2]
    assert not any(isinstance(e, RefreshProgress) for e in first)  # nothing in state to read yet
    applied = collect(runner.apply())
    completes = [e for e in applied if isinstance(e, ResourceProgress) and e.phase == "complete"]
    assert {e.address for e in completes} == {"terraform_data.a", "terraform_data.b"}
    assert all(isinstance(e.elapsed, float) and e.elapsed >= 0 for e in completes)
    assert exit_words("apply", applied[-1].returncode) == "succeeded (exit code 0)"

    (ws / "main.tf").write_text(TWO_RESOURCES.replace('"alpha"', '"beta"'))
    again = collect(runner.plan())
    reads = [(e.address, e.phase) for e in again if isinstance(e, RefreshProgress)]
    assert ("terraform_data.a", "start") in reads and ("terraform_data.a", "complete") in reads
    assert reads.index(("terraform_data.a", "start")) < reads.index(("terraform_data.a", "complete"))
    assert exit_words("plan", again[-1].returncode) == "changes to apply (exit code 2)"


def test_exit_codes_in_words():
    from tfiam_tui.engine.terraform.events import exit_words

    assert exit_words("plan", 0) == "no changes (exit code 0)"
    assert exit_words("plan", 2) == "changes to apply (exit code 2)"
    assert exit_words("plan", 1) == "failed (exit code 1)"
    assert exit_words("apply", 2) == "failed (exit code 2)"  # only plan's 2 means "changes"
    assert exit_words("apply", -9) == "killed by signal 9"
    assert exit_words("apply", 1, interrupted=True) == "stopped on request (exit code 1)"
    failed = TerraformFailed("plan", 1, ["Error: boom"])
    assert str(failed).startswith("terraform plan failed (exit code 1):")


@pytest.mark.parametrize("raw", [
    '{"@message": "x", "type": 7}',
    '{"@message": "x", "type": "apply_start", "hook": "not an object"}',
    '{"@message": "x", "type": "refresh_start", "hook": {"resource": ["addr"]}}',
    '{"@message": "x", "type": "apply_progress", "hook": {"resource": {"addr": "a"}, "elapsed_seconds": "ten"}}',
    '{"@message": "x", "type": "version"}',
])
def test_odd_machine_readable_lines_become_lines_and_safe_events(raw):
    """A message of an unknown shape (another terraform or OpenTofu version) never stops a
    run: its text is still a Line; a hook without an address has an empty one."""
    from tfiam_tui.engine.terraform.events import json_events

    events = json_events(raw)
    assert Line("x") in events
    for event in events:
        assert not isinstance(event, ResourceProgress) or isinstance(event.address, str) and event.elapsed is None


def test_the_hooks_terraform_sends_become_progress_with_their_elapsed_seconds():
    from tfiam_tui.engine.terraform.events import RefreshProgress, TerraformVersion, json_events

    def hook(kind: str, **more) -> str:
        return json.dumps({"@message": kind, "type": kind,
                           "hook": {"resource": {"addr": "module.iam_user.aws_iam_user.this"}, "action": "create",
                                    **more}})

    assert TerraformVersion("1.11.4") in json_events(json.dumps({"@message": "Terraform 1.11.4", "type": "version",
                                                                   "terraform": "1.11.4", "ui": "1.2"}))
    progress = next(e for e in json_events(hook("apply_progress", elapsed_seconds=10))
                    if isinstance(e, ResourceProgress))
    assert progress.phase == "progress" and progress.elapsed == 10.0
    assert RefreshProgress("module.iam_user.aws_iam_user.this", "complete") in json_events(hook("refresh_complete"))
    provisioning = next(e for e in json_events(hook("provision_start", provisioner="local-exec"))
                        if isinstance(e, ResourceProgress))
    assert provisioning.phase == "provisioning"
