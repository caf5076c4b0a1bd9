"""How long and how much memory hostile answers files cost before ``tfiam validate`` says
what is wrong.  Each file runs through the real console script in a child process; its
wall time and peak memory (the child's maximum resident set) are printed as a Markdown
table, with the exit code and the first line of the message.

    .venv/bin/python bench/answers_limits.py [--runs 3]

The target (issue 13): no answers file takes more than 2 s or 200 MB before it is refused.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TFIAM = str(Path(sys.executable).with_name("tfiam"))
BASE = "version: 1\nprovider: {region: eu-central-1}\nuser:\n  name: bob\n"


def hostile_files(folder: Path) -> dict[str, str]:
    laughs = "version: 1\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))
    texts = {
        "alias bomb (1 KB)": laughs,
        "1 MiB of block tags": BASE + "  tags:\n" + "".join(f"    k{i}: v\n" for i in range(90_000))[: 1024 * 1024 - 80],
        "flow map, 19,000 items": BASE + "  tags: {" + ", ".join(f"k{i}: v" for i in range(9_400)) + "}\n",
        "999 tags (under every YAML limit)": BASE + "  tags:\n" + "".join(f"    k{i}: v{'x' * 200}\n" for i in range(999)),
        "100k-deep nesting": "version: 1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "list as a key": "version: 1\n? [a, b]\n: c\n",
        "3 MB file": BASE + "# " + "x" * 3_000_000 + "\n",
    }
    paths = {}
    for name, text in texts.items():
        path = folder / (name.split()[0] + str(len(paths)) + ".yaml")
        path.write_text(text)
        paths[name] = str(path)
    paths["/dev/zero"] = "/dev/zero"
    # the baseline: a valid file costs tfiam's start-up (imports) and nothing else
    return {"examples/ci-bot.yaml (valid: start-up)": str(Path(__file__).resolve().parents[1] / "examples" / "ci-bot.yaml"),
            **paths}


def measure(path: str) -> tuple[float, float, int, str]:
    """Wall time and peak RSS (MB) of one ``tfiam validate`` run, in a fresh child."""
    code = (
        "import resource, subprocess, sys, time\n"
        "s = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True, stdin=subprocess.DEVNULL)\n"
        "w = time.perf_counter() - s\n"
        "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "lines = (r.stderr or r.stdout).strip().splitlines() or ['']\n"
        "print(w, m, r.returncode, (lines[1] if len(lines) > 1 else lines[0]).strip(), sep='\\t')\n"
    )
    out = subprocess.run([sys.executable, "-c", code, TFIAM, "validate", path], capture_output=True, text=True,
                         timeout=300).stdout.strip().split("\t")
    return float(out[0]), float(out[1]), int(out[2]), out[3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = hostile_files(Path(tmp))
        print(f"tfiam validate on hostile answers files ({args.runs} runs each; median wall time, peak memory)\n")
        print("| file | size | wall s (median) | peak MB | exit | message |")
        print("|---|---|---|---|---|---|")
        for name, path in files.items():
            runs = [measure(path) for _ in range(args.runs)]
            size = "-" if path.startswith("/dev") else f"{os.path.getsize(path) / 1024:.0f} KB"
            wall = statistics.median(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            message = runs[0][3][:70].replace("|", "/")
            print(f"| {name} | {size} | {wall:.2f} | {peak:.0f} | {runs[0][2]} | {message} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
