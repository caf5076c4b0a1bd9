"""``python -m bench``: see :mod:`bench` for what is measured."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from bench import measure, prepare, report
from bench.prepare import REPO, BenchError, Keyring
from tfiam_tui.engine.aws.sandbox import Sandbox


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="replays (and raw sequences) each (default: 5)")
    parser.add_argument("--startup-runs", type=int, default=10, help="runs of each start-up command (default: 10)")
    parser.add_argument("--plugin-dir", help="provider mirror (default: TFIAM_PLUGIN_DIR, else searched)")
    parser.add_argument("--terraform-bin", help="terraform binary (default: terraform on PATH)")
    parser.add_argument("--no-packed", action="store_true",
                        help="skip provider install from a packed mirror (needs ~1.5 GB of temporary disk)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (workspaces, logs)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.startup_runs < 1:
        parser.error("--runs and --startup-runs must be at least 1")
    return args


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _warm_up(plugin_dir: Path, endpoint: str, env: dict[str, str]) -> None:
    """Untimed: the provider binary into the page cache, moto's IAM and STS code paths loaded."""
    for binary in prepare.provider_binaries(plugin_dir):
        with open(binary, "rb") as fh:
            while fh.read(1 << 24):
                pass
    session = boto3.session.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                                     aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name="eu-central-1")
    session.client("sts", endpoint_url=endpoint).get_caller_identity()
    session.client("iam", endpoint_url=endpoint).list_policies(MaxItems=1)


def bench_replay(args, tools: dict, keyring: Keyring, tmp: Path, env: dict[str, str]) -> list[report.Row]:
    """tfiam replay and the raw sequence, alternately, each on a fresh user."""
    replays: list[measure.ReplayRun] = []
    raws: list[measure.RawRun] = []
    with Sandbox() as sandbox:
        _warm_up(tools["plugin_dir"], sandbox.endpoint, env)
        for i in range(args.runs):
            order = ("tfiam", "raw") if i % 2 == 0 else ("raw", "tfiam")
            for who in order:
                name = prepare.fresh_name(f"bench-{who}")
                answers = prepare.write_answers(tmp / f"{name}.yaml", user=name, endpoint=sandbox.endpoint)
                ws = tmp / f"ws-{name}"
                if who == "tfiam":
                    run = measure.replay(tools["tfiam"], answers, ws, plugin_dir=tools["plugin_dir"],
                                         passphrase_file=keyring.passphrase_file, env=env, logs=tmp / name)
                    replays.append(run)
                else:
                    prepare.render_workspace(answers, ws, keyring)
                    run = measure.raw_sequence(tools["terraform"], ws, plugin_dir=tools["plugin_dir"], env=env,
                                               logs=tmp / name)
                    raws.append(run)
                _say(f"  run {i + 1}/{args.runs} {who:5}: {run.seconds:6.2f} s")

    def step(name: str) -> list[float]:
        return [r.steps.get(name, 0.0) for r in replays]

    separate = ("decrypt", "verify")
    tfiam_only = {"check": "check: PGP key, terraform version (tfiam only)",
                  "preflight": "preflight: STS who-am-I (tfiam only)", "write": "write the workspace (tfiam only)"}
    rows = [
        report.Row("**end to end, without verify and decrypt**",
                   [r.seconds - sum(r.steps.get(s, 0.0) for s in separate) for r in replays],
                   [r.seconds for r in raws]),
        report.Row("end to end, all steps", [r.seconds for r in replays], [r.seconds for r in raws]),
    ]
    rows += [report.Row(f"terraform {s}", step(s), [r.steps[s] for r in raws]) for s in ("init", "plan", "apply")]
    rows.append(report.Row("terraform output (tfiam: only when the apply did not report the outputs)",
                           step("output"), [r.steps["output"] for r in raws]))
    rows += [report.Row(label, step(s)) for s, label in tfiam_only.items()]
    rows.append(report.Row("python start-up, imports, lint, printing (the rest, tfiam only)",
                           [r.seconds - sum(r.steps.values()) for r in replays]))
    rows += [report.Row(f"{s} (reported separately)", step(s)) for s in separate]
    rows.append(report.Row("peak RSS of the tfiam process (VmHWM, polled)", [r.vmhwm_mb for r in replays], unit="MB"))
    rows.append(report.Row("peak RSS of the tfiam process (getrusage at exit)",
                           [r.self_reported_rss_mb for r in replays], unit="MB"))
    return rows


def bench_startup(args, tools: dict, env: dict[str, str]) -> list[report.Row]:
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "tfiam --help": [tools["tfiam"], "--help"],
        "tfiam validate examples/ci-bot.yaml": [tools["tfiam"], "validate", "examples/ci-bot.yaml"],
    }
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(args.startup_runs):
        for label, argv in commands.items():
            samples[label].append(measure.startup(argv, cwd=REPO, env=env))
    base = samples.pop("python -c pass")
    return [report.Row(label, values, base) for label, values in samples.items()]


def _two_inits(make_ws, init) -> tuple[measure.InitRun, measure.InitRun]:
    return init(make_ws("first")), init(make_ws("second"))


def bench_init(args, tools: dict, keyring: Keyring, tmp: Path, env: dict[str, str]) -> list[report.InitRow]:
    """The first and second new workspace's init, with and without tfiam's plugin cache."""
    terraform, plugin_dir = tools["terraform"], tools["plugin_dir"]
    rows: list[report.InitRow] = []

    def workspaces(tag: str):
        def make(which: str) -> Path:
            name = prepare.fresh_name(f"init-{tag}-{which}")
            answers = prepare.write_answers(tmp / f"{name}.yaml", user=name, endpoint="http://127.0.0.1:9")
            prepare.render_workspace(answers, tmp / name, keyring)
            return tmp / name
        return make

    def row(label: str, first: measure.InitRun, second: measure.InitRun) -> report.InitRow:
        return report.InitRow(label, first.seconds, second.seconds, second.workspace_bytes, second.cache_bytes,
                              first.workspace_bytes + first.cache_bytes)

    def tfiam_inits(tag: str, mirror: Path | None, extra: dict[str, str | None]) -> tuple:
        cache_home = tmp / f"cache-{tag}"
        cache = cache_home / "tfiam" / "plugin-cache"
        tf_env = {**extra, "XDG_CACHE_HOME": str(cache_home), "TF_PLUGIN_CACHE_DIR": None}
        return _two_inits(workspaces(tag), lambda ws: measure.tfiam_init(
            ws, terraform=terraform, plugin_dir=mirror, env={**env, **tf_env}, cache=cache))

    def raw_inits(tag: str, mirror: Path | None, raw_env: dict[str, str]) -> tuple:
        return _two_inits(workspaces(tag), lambda ws: measure.raw_init(
            ws, terraform=terraform, plugin_dir=mirror, env=raw_env))

    _say("  provider install: -plugin-dir mirror")
    rows.append(row("`-plugin-dir` mirror (this machine), tfiam (plugin cache)", *tfiam_inits("dir", plugin_dir, {})))
    rows.append(row("`-plugin-dir` mirror, raw terraform (no cache)", *raw_inits("rawdir", plugin_dir, env)))
    if not args.no_packed:
        _say("  provider install: packed mirror (a stand-in for a registry download)")
        packed = prepare.pack_mirror(plugin_dir, tmp / "packed-mirror")
        config = prepare.mirror_cli_config(packed, tmp / "packed.tfrc")
        packed_env = {**env, "TF_CLI_CONFIG_FILE": str(config)}
        rows.append(row("packed mirror (like a registry download), tfiam (plugin cache)",
                        *tfiam_inits("packed", None, {"TF_CLI_CONFIG_FILE": str(config)})))
        rows.append(row("packed mirror, raw terraform (no cache)", *raw_inits("rawpacked", None, packed_env)))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        tools = {
            "plugin_dir": prepare.find_plugin_dir(args.plugin_dir),
            "terraform": prepare.find_terraform(args.terraform_bin),
            "tfiam": prepare.find_tfiam(),
        }
    except BenchError as exc:
        _say(f"bench: {exc}")
        return 2
    os.environ.pop("TFIAM_PLUGIN_DIR", None)  # every run names the mirror itself
    tmp = Path(tempfile.mkdtemp(prefix="tfiam-bench-"))
    tf_version = subprocess.run([tools["terraform"], "version"], capture_output=True, text=True).stdout.splitlines()[0]
    provider = Path(prepare.provider_binaries(tools["plugin_dir"])[0]).name
    header = [f"machine: {report.machine()}", f"load average at start: {report.load_average()}",
              f"{tf_version}, {provider} from {tools['plugin_dir']}; runs: {args.runs} each, alternating"]
    _say("\n".join(header))
    keyring = Keyring.create()
    env = Sandbox.child_env(os.environ)
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    env.update({"GNUPGHOME": str(keyring.home), "XDG_CACHE_HOME": str(tmp / "cache")})
    started = time.perf_counter()
    try:
        _say("replay vs raw terraform:")
        replay_rows = bench_replay(args, tools, keyring, tmp, env)
        _say("start-up:")
        startup_rows = bench_startup(args, tools, env)
        init_rows = bench_init(args, tools, keyring, tmp, env)
    except BenchError as exc:
        _say(f"bench: {exc}\n(workspaces and logs kept in {tmp})")
        return 1
    finally:
        keyring.discard()
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    print("\n".join(header))
    print(f"load average at end: {report.load_average()}; took {minutes:.1f} min\n")
    print(report.table(f"`tfiam replay` of one user (7 resources) vs raw terraform, {args.runs} runs each",
                       replay_rows))
    print()
    print(report.table(f"start-up ({args.startup_runs} runs each)", startup_rows, right="python -c pass"))
    print()
    print(report.init_table(init_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
