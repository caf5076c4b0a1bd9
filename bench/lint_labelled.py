"""The linter against its labelled corpus (``tests/lint_corpus/*.json``, one file a
category, written for tfiam from public sources: Bishop Fox iam-vulnerable with its
false-negative and false-positive cases, cloudsplaining's and parliament's test policies,
AWS documentation examples, obfuscated variants, malformed documents).  Prints, per
category, how many documents tfiam finds what the label says and how many it misses; for
the harmless policies, the false errors; then crashes and the time for the whole corpus.

    .venv/bin/python -m bench.lint_labelled                        # tests/lint_corpus
    .venv/bin/python -m bench.lint_labelled bench/heldout_corpus   # the held-out one

``--verbose`` prints what tfiam found on every document that misses its label.

An entry holds ``document`` (or ``documents``: policies one principal gets together, read
as one) and may carry ``known_miss``: why tfiam does not find it yet.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "lint_corpus"

# What a category's label means: the rules whose finding (at these severities) counts as found.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "escalation": ({"TFIAM020", "TFIAM021", "TFIAM022"}, {"error"}),
    "admin": ({"TFIAM001", "TFIAM002", "TFIAM003"}, {"error"}),
    "unknown_action": ({"TFIAM040", "TFIAM041", "TFIAM042"}, {"error", "warning"}),
    "resource_mismatch": ({"TFIAM044"}, {"error"}),
    "malformed": ({"TFIAM043", "TFIAM045", "TFIAM046"}, {"error", "warning"}),
    "harmless": (set(), set()),  # found: no error at all
}


@dataclass(frozen=True)
class Verdict:
    category: str
    name: str
    holds: bool  # the label holds: found (or, for harmless, no false error)
    known_miss: str | None
    crashed: str | None
    findings: tuple[str, ...]


def load(corpus: Path = CORPUS) -> dict[str, list[dict[str, Any]]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(corpus.glob("*.json"))}


def _document(entry: dict[str, Any]) -> Any:
    """One document, or the statements of several merged (as tfiam reads a user's policies)."""
    if "documents" not in entry:
        return entry["document"]
    statements = []
    for doc in entry["documents"]:
        raw = doc["Statement"]
        statements.extend({k: v for k, v in s.items() if k != "Sid"} for s in (raw if isinstance(raw, list) else [raw]))
    return {"Version": "2012-10-17", "Statement": statements}


def judge(category: str, entry: dict[str, Any]) -> Verdict:
    from tfiam_tui.engine.policy import lint_policy_document

    try:
        found = lint_policy_document(_document(entry))
    except Exception as exc:  # a crash is a score of its own, never the end of the run
        return Verdict(category, entry["name"], False, entry.get("known_miss"), repr(exc), ())
    rules, severities = EXPECTED[category]
    if category == "harmless":
        holds = not any(f.severity == "error" for f in found)
    else:
        holds = any(f.rule in rules and f.severity in severities for f in found)
    return Verdict(category, entry["name"], holds, entry.get("known_miss"), None, tuple(str(f) for f in found))


def run(path: Path = CORPUS) -> tuple[list[Verdict], float, float]:
    """The verdicts, the wall time and the CPU time of this process (on a busy machine the
    wall time says more about the neighbours than about the linter)."""
    corpus = load(path)
    start, cpu = time.perf_counter(), time.process_time()
    verdicts = [judge(category, entry) for category, entries in corpus.items() for entry in entries]
    return verdicts, time.perf_counter() - start, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.lint_labelled", description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS, help="a folder of <category>.json files")
    parser.add_argument("--verbose", action="store_true", help="print the findings on every miss")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir() or set(p.stem for p in args.corpus.glob("*.json")) - set(EXPECTED):
        parser.error(f"{args.corpus}: not a folder of {', '.join(EXPECTED)} .json files")
    from tfiam_tui.engine.policy.catalogue import catalogue
    from tfiam_tui.engine.policy.resources import resource_types

    t0 = time.perf_counter()
    catalogue()
    resource_types()
    load_time = time.perf_counter() - t0
    verdicts, total, cpu = run(args.corpus)
    print(f"corpus: {args.corpus}")
    print(f"{'category':<18} {'n':>4} {'found':>6} {'missed':>7}")
    for category in EXPECTED:
        mine = [v for v in verdicts if v.category == category]
        held = sum(v.holds for v in mine)
        if category == "harmless":
            print(f"{category:<18} {len(mine):>4}   false errors: {len(mine) - held}")
        else:
            print(f"{category:<18} {len(mine):>4} {held:>6} {len(mine) - held:>7}")
    for v in verdicts:
        if not v.holds:
            print(f"  missed {v.category}/{v.name}" + (f" (known: {v.known_miss})" if v.known_miss else ""))
            if args.verbose:
                print("".join(f"      {f}\n" for f in v.findings) or "      (no finding)\n", end="")
    crashes = [v for v in verdicts if v.crashed]
    print(f"crashes: {len(crashes)}" + "".join(f"\n  {v.name}: {v.crashed}" for v in crashes))
    print(f"{len(verdicts)} documents in {total:.3f} s, {cpu:.3f} s of CPU (data loaded first, untimed: "
          f"{load_time:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
