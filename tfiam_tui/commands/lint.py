"""``tfiam lint ANSWERS [--format text|json] [--strict]``: the built-in IAM linter.

Exit 0 when there is no error (with ``--strict``: no warning either), 10 (lint failed)
otherwise, 3 when the answers file itself is invalid.  The JSON shape is documented in
the README ("Linting") and produced by :func:`tfiam_tui.engine.lint.to_json`.
"""

from __future__ import annotations

import argparse
import json

from .common import path_arg


def register(subparsers, tf_options) -> None:  # noqa: ARG001 - lint runs no terraform
    p = subparsers.add_parser("lint", help="check an answers file for over-broad or dangerous permissions; writes nothing")
    p.add_argument("answers", type=path_arg, help="answers file (YAML)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    p.add_argument("--strict", action="store_true", help="fail on warnings too, not only on errors")
    p.set_defaults(func=cmd_lint)


def cmd_lint(args: argparse.Namespace, console) -> int:
    from ..engine import answers as answers_mod
    from ..engine import policy as lint_mod
    from ..engine.exitcodes import Exit

    loaded = answers_mod.load(args.answers)  # AnswersError: exit 3, reported by cli.main
    findings = lint_mod.lint(loaded)
    data = data_sources()
    if args.format == "json":
        doc = {**lint_mod.to_json(findings, source=args.answers, strict=args.strict), "data": data}
        console.say(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        console.say(lint_mod.format_text(findings, source=args.answers))
        console.say("data: " + ", ".join(f"{name} {version}" for name, version in data.items()))
    return Exit.LINT_FAILED if lint_mod.fails(findings, args.strict) else Exit.OK


def data_sources() -> dict[str, str]:
    """What the linter's bundled data was generated from (package versions), so a finding
    about an action or a resource type can be weighed against how old the data is."""
    from ..engine.policy.catalogue import catalogue
    from ..engine.policy.resources import resource_types

    return {**catalogue().sources, "resource_types": resource_types().source}
