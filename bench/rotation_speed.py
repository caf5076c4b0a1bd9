"""What a rotation step costs next to the raw terraform commands for the same change
(issue 14: a step should cost no more than the plan and apply of the change it makes).

Two users are made with ``tfiam replay --sandbox`` in one background sandbox (``tfiam
sandbox start``, in a temporary cache folder, stopped at the end).  For
the first, ``tfiam rotate --auto-approve`` runs the start step (a second key).  For the
second, the same change is made by hand: the workspace's variables get the second slot and
the record, then ``terraform plan -out`` and ``terraform apply`` of that plan.  Each is
timed end to end, ``--rounds`` times alternately (the machine is shared and noisy), and
the medians are printed with tfiam's extra work (reading the state and the keys, the key
check with the new key, verification).

    .venv/bin/python -m bench.rotation_speed [--rounds 3] [--plugin-dir /opt/tf-plugins]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
TFIAM = str(Path(sys.executable).with_name("tfiam"))


def answers(folder: Path, name: str) -> Path:
    data = yaml.safe_load((REPO / "examples" / "ci-bot.yaml").read_text())
    data["user"]["name"] = name
    data["permissions"]["groups"][0]["name"] = f"{name}-group"
    data["permissions"]["groups"][0]["custom_policy"]["name"] = f"{name}-policy"
    data["workspace"] = f"./ws-{name}"
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return took


def by_hand(ws: Path, terraform: str, env: dict[str, str]) -> float:
    """The start step's change as a person would make it: edit the variables, plan, apply."""
    tfvars = ws / "terraform.tfvars.json"
    values = json.loads(tfvars.read_text())
    values["access_keys"] = {"a": {"status": "Active"}, "b": {"status": "Active"}}
    values["key_rotation"] = json.dumps({"version": 1, "phase": "started", "old": "a", "new": "b",
                                         "slots": {"a": "Active", "b": "Active"}})
    start = time.perf_counter()
    tfvars.write_text(json.dumps(values, indent=2))
    run([terraform, "plan", "-input=false", "-lock-timeout=10s", "-out=bench.tfplan"], env, ws)
    run([terraform, "apply", "-input=false", "bench.tfplan"], env, ws)
    return time.perf_counter() - start


def main() -> int:
    from tfiam_tui.engine.aws.sandbox import Sandbox

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--plugin-dir", default=os.environ.get("TFIAM_PLUGIN_DIR", "/opt/tf-plugins"))
    parser.add_argument("--terraform-bin", default="terraform")
    args = parser.parse_args()
    tfiam_runs: list[float] = []
    raw_runs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TFIAM_PLUGIN_DIR": args.plugin_dir, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        run([TFIAM, "sandbox", "start"], env)
        raw_env = {**Sandbox.child_env(os.environ), "XDG_CACHE_HOME": env["XDG_CACHE_HOME"]}
        try:
            for n in range(args.rounds):
                mine, theirs = answers(Path(tmp), f"rot{n}t"), answers(Path(tmp), f"rot{n}r")
                for path in (mine, theirs):
                    run([TFIAM, "replay", str(path), "--sandbox", "--auto-approve"], env)
                tfiam_runs.append(run([TFIAM, "rotate", str(mine), "--sandbox", "--auto-approve"], env))
                raw_runs.append(by_hand(Path(tmp) / f"ws-rot{n}r", args.terraform_bin, raw_env))
        finally:
            run([TFIAM, "sandbox", "stop"], env)
    t, r = statistics.median(tfiam_runs), statistics.median(raw_runs)
    print(f"rotation start step, {args.rounds} round(s), medians (each run: " +
          ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(tfiam_runs, raw_runs, strict=True)) + " s)")
    print(f"  tfiam rotate --auto-approve          {t:6.2f} s")
    print(f"  terraform plan -out + apply (raw)    {r:6.2f} s")
    print(f"  tfiam's extra (init check, state and key reads, key check, verify): {t - r:+.2f} s ({t / r:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
