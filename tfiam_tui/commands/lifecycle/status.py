"""``tfiam status ANSWERS [ANSWERS ...] [--format text|json]``: where each managed user
stands, read from the AWS API (no terraform run), for a person at 80 columns or for a cron
job: exit 0 when nothing needs attention, 11 when something does (docs/status.md)."""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..common import path_arg


def register(subparsers, tf_options) -> None:  # noqa: ARG001 - status runs no terraform
    p = subparsers.add_parser("status", help="keys, password, MFA, drift and what needs attention (no terraform run)")
    p.add_argument("answers", nargs="+", type=path_arg, help="answers file(s) (YAML) of the users to check")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for jobs")
    p.add_argument("--sandbox", action="store_true", help="in the sandbox that tfiam sandbox start keeps running")
    p.set_defaults(func=cmd_status)


def recipient_check(answers: Any) -> Callable[[dict[str, Any]], list[str]]:
    """Notices for stored secrets encrypted to another key than the answers name."""
    from ...engine import secrets
    from ...engine.answers import AnswersError
    from ...engine.pipeline.steps import resolve_pgp_key

    def recipients(outputs: dict[str, Any]) -> list[str]:
        try:
            key = resolve_pgp_key(answers)
        except (AnswersError, secrets.PgpError):
            return []  # the key is not here to compare with: nothing to say either way
        return secrets.stored_secret_notices(outputs, key) if key else []

    return recipients


def _status_of(path: str, answers: Any) -> Any:
    from ...engine.answers import workspace_dir
    from ...engine.lifecycle.status import user_status

    return user_status(answers, answers_path=path, workspace=workspace_dir(answers, path, None),
                       recipient_check=recipient_check(answers))


def cmd_status(args: argparse.Namespace, console) -> int:
    from ...engine.answers import load

    loaded = [load(path) for path in args.answers]  # every file is checked before any AWS call
    with contextlib.ExitStack() as stack:
        if args.sandbox:
            from ...engine.aws import sandbox_service
            from ...engine.aws.sandbox import isolated_environ
            from ...engine.pipeline import with_endpoint

            running = sandbox_service.required()
            loaded = [with_endpoint(answers, running.endpoint) for answers in loaded]
            stack.enter_context(isolated_environ())  # status reads with the sandbox's dummy credentials
            from ..replay import sandbox_line

            # JSON on stdout stays one document: the SANDBOX line goes to stderr there.
            print(sandbox_line(running), file=console.out if args.format == "text" else console.err, flush=True)
        return _report(args, loaded, console)


def _report(args: argparse.Namespace, loaded: list[Any], console) -> int:
    from ...engine.exitcodes import Exit
    from ...engine.lifecycle.status import FORMAT, NEEDS
    from ...engine.lifecycle.table import table

    # One user's calls are sequential; users are read side by side (IAM allows ~20 calls/s).
    pool = ThreadPoolExecutor(max_workers=min(8, len(args.answers)))
    try:
        found = list(pool.map(_status_of, args.answers, loaded))
    except KeyboardInterrupt:  # do not wait for calls in flight: status changes nothing
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    if args.format == "json":
        doc = {"format": FORMAT, "needs_action_codes": NEEDS, "users": [s.to_json() for s in found]}
        console.say(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        for line in table(found):
            console.say(line)
    if any("unreadable" in s.needs_action for s in found):
        return Exit.AWS_UNAVAILABLE
    return Exit.NEEDS_ATTENTION if any(s.needs_action for s in found) else Exit.OK
