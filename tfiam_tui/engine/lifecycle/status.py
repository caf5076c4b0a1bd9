"""``tfiam status``: where a managed user stands, read from the AWS API (no terraform run).

For one user: every access key (status, age, last use, whether this workspace's state
holds it), the console password (set, last used, reset pending), the MFA devices, the
Expiry tag, and drift: everything verification checks, grants made by hand included.
What needs the operator is a list of stable codes (:data:`NEEDS`), so a cron job or a CI
schedule can act on them; ``commands.status`` prints them and exits 11 when any is set.

The state is read as a file (local backend) or an object (S3), never through terraform:
status must be quick and must work while another run holds terraform's lock.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..answers import Answers
from ..answers.offboarding import disabled
from ..aws import verify as verify_mod
from ..aws.clients import aws_session, error_text, paged
from ..aws.expected import Expected
from ..terraform import keyslots
from ..terraform.statefile import read_state
from ..text import command
from . import rotation

FORMAT = 1  # the JSON shape's version; bumped only when a field changes meaning or goes
UNUSED_DAYS = 90  # a key unused this long should go (CIS AWS Foundations 1.12 asks 45)
EXPIRY_WARNING_DAYS = 14

# What needs the operator: code -> what it means (docs/status.md lists the same).
NEEDS = {
    "not-applied": "the workspace has no state yet: run tfiam replay",
    "not-managed": "the user exists in AWS but no state of this workspace holds it (made elsewhere): replay "
                   "refuses to take it over; tfiam adopt USER_NAME --save FILE brings it under tfiam as it is",
    "user-missing": "the user is in the state but not in AWS (deleted outside Terraform)",
    "drift": "AWS differs from the answers (a failed verification check)",
    "key-outside-tfiam": "an access key the workspace's state does not hold",
    "key-rotation-due": "an active access key older than lifecycle.rotate_after_days",
    "key-unused": f"an active access key not used for {UNUSED_DAYS} days",
    "mfa-missing": "a console password without an MFA device",
    "expired": "the Expiry tag's date has passed",
    "expiry-soon": f"the Expiry tag's date is less than {EXPIRY_WARNING_DAYS} days away",
    "secret-for-another-key": "a stored secret is encrypted to another PGP key than the answers name",
    "rotation-in-progress": "a key rotation is under way: tfiam rotate takes its next step (see rotation)",
    "offboarding": "the user is disabled by tfiam offboard, in its observation window (see offboarding)",
    "unreadable": "AWS or the state could not be read",
}


@dataclass
class Key:
    id: str
    status: str
    created: str
    age_days: int
    last_used: str | None = None  # ISO time; None: never used
    last_service: str | None = None
    last_region: str | None = None
    managed: bool = False  # in this workspace's state
    unused_days: int = 0  # since its last use, or since it was made if never used


@dataclass
class Console:
    created: str
    reset_required: bool
    last_used: str | None


@dataclass
class UserStatus:
    user: str
    answers: str
    workspace: str
    exists: bool = False
    keys: list[Key] = field(default_factory=list)
    console: Console | None = None
    mfa_devices: list[str] = field(default_factory=list)
    expiry: str | None = None
    expiry_days_left: int | None = None
    rotate_after_days: int = 90
    drift: list[dict[str, str]] = field(default_factory=list)
    other_key: list[str] = field(default_factory=list)  # stored secrets encrypted to another PGP key
    rotation: dict[str, Any] | None = None  # a rotation under way: phase, since, next_step
    offboarding: dict[str, Any] | None = None  # disabled by tfiam offboard: since, by, window_ends, next_step
    notices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    needs_action: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def state_outputs(state: dict | None) -> dict[str, Any]:
    """The root outputs recorded in a state, as plain values."""
    return {name: out.get("value") for name, out in ((state or {}).get("outputs") or {}).items()}


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else None


def _days(since: dt.datetime, now: dt.datetime) -> int:
    return max(0, (now - since).days)


def user_status(
    answers: Answers,
    *,
    answers_path: str,
    workspace: Path,
    credentials: tuple[str, str] | None = None,
    recipient_check: Callable[[dict[str, Any]], list[str]] | None = None,
    now: dt.datetime | None = None,
) -> UserStatus:
    """Read one user's status.  ``recipient_check(outputs)``: notices for stored secrets
    encrypted to another key (the caller resolves the PGP key; None: not checked)."""
    now = now or dt.datetime.now(dt.UTC)
    rotate_after = answers.lifecycle.rotate_after_days
    out = UserStatus(user=answers.user.name, answers=answers_path, workspace=str(workspace),
                     rotate_after_days=rotate_after)
    _expiry(out, answers, now.date())
    try:
        state = read_state(answers, workspace)
    except (OSError, ValueError, RuntimeError, BotoCoreError, ClientError) as exc:  # RuntimeError: MigrationError
        out.errors.append(f"cannot read the state: {error_text(exc) if isinstance(exc, BotoCoreError | ClientError) else exc}")
        state = None
    outputs = state_outputs(state)
    managed_keys = {k.id for k in keyslots.state_keys(state).values()} | keyslots.output_key_ids(outputs)
    provider = answers.provider
    iam = None
    try:
        iam = iam_client(provider.region, provider.profile, provider.endpoint, credentials)
        _read_user(out, iam, managed_keys, now)
    except (BotoCoreError, ClientError, ValueError) as exc:
        out.errors.append(error_text(exc))
    offboarding = keyslots.offboard_record_of(state)
    if out.exists and state is not None and not out.errors:
        expected = Expected.from_answers(answers if offboarding is None else disabled(answers, offboarding))
        expected.access_key = expected.access_key and offboarding is None  # disabled: no key is active
        checks = verify_mod.verify(expected, region=provider.region, endpoint=provider.endpoint,
                                   profile=provider.profile, credentials=credentials, check_stray_keys=False,
                                   iam=iam)
        out.drift = [{"check": c.name, "detail": c.detail} for c in checks if not c.ok]
    record = keyslots.record_of(state)
    if record is not None and record.get("phase") in ("started", "cut-over"):
        out.rotation = {"phase": record["phase"],
                        "since": record.get("cutover_at" if record["phase"] == "cut-over" else "started_at"),
                        "next_step": rotation.next_hint(record, answers_path)}
    if offboarding is not None:
        window = dt.timedelta(seconds=int(offboarding.get("observe_seconds") or 0))
        since = rotation.parse_time(offboarding["disabled_at"])
        out.offboarding = {"since": offboarding["disabled_at"], "by": offboarding["disabled_by"],
                           "window_ends": rotation.iso(since + window) if since else None,
                           "next_step": f"{command('tfiam', 'offboard', answers_path)} deletes the user after the "
                                        f"window; {command('tfiam', 'offboard', answers_path, '--cancel')} "
                                        "enables it again"}
    if recipient_check is not None and outputs:
        out.other_key = recipient_check(outputs)
    out.needs_action = _needs(out, state, managed_keys)
    return out


@functools.lru_cache(maxsize=16)
def iam_client(region: str, profile: str | None, endpoint: str | None, credentials: tuple[str, str] | None) -> Any:
    """One IAM client per account and endpoint, shared by every user status reads (boto3
    clients are thread-safe; making one costs ~0.5 s of botocore's model loading)."""
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30,
                    max_pool_connections=16)
    return aws_session(region, profile, credentials).client("iam", endpoint_url=endpoint, config=config)


def _read_user(out: UserStatus, iam: Any, managed_keys: set[str], now: dt.datetime) -> None:
    try:
        user = iam.get_user(UserName=out.user)["User"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return
        raise
    out.exists = True
    for key in rotation.live_keys(iam, out.user):
        out.keys.append(Key(
            id=key.id, status=key.status, created=_iso(key.created) or "", age_days=_days(key.created, now),
            last_used=_iso(key.last_used), last_service=key.service, last_region=key.region,
            managed=key.id in managed_keys, unused_days=_days(key.last_used or key.created, now),
        ))
    out.keys.sort(key=lambda k: k.created)
    try:
        profile = iam.get_login_profile(UserName=out.user)["LoginProfile"]
        out.console = Console(created=_iso(profile["CreateDate"]) or "",
                              reset_required=bool(profile.get("PasswordResetRequired")),
                              last_used=_iso(user.get("PasswordLastUsed")))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
    out.mfa_devices = [d["SerialNumber"] for d in paged(iam, "list_mfa_devices", "MFADevices", UserName=out.user)]


def _expiry(out: UserStatus, answers: Answers, today: dt.date) -> None:
    raw = answers.user.tags.get("Expiry")
    if not raw:
        return
    out.expiry = raw
    try:
        out.expiry_days_left = (dt.date.fromisoformat(raw) - today).days
    except ValueError:
        out.notices.append(f"the Expiry tag {raw!r} is not a YYYY-MM-DD date")


def _needs(out: UserStatus, state: dict | None, managed_keys: set[str]) -> list[str]:
    codes: list[str] = []
    if out.errors:
        codes.append("unreadable")
    elif state is None:
        codes.append("not-managed" if out.exists else "not-applied")
    elif not out.exists:
        codes.append("user-missing")
    if out.drift:
        codes.append("drift")
    active = [k for k in out.keys if k.status == "Active"]
    if any(not k.managed for k in out.keys) and state is not None:
        codes.append("key-outside-tfiam")
    if any(k.age_days >= out.rotate_after_days for k in active):
        codes.append("key-rotation-due")
    if any(k.unused_days >= UNUSED_DAYS for k in active):
        codes.append("key-unused")
    if out.console is not None and not out.mfa_devices:
        codes.append("mfa-missing")
    if out.expiry_days_left is not None:
        if out.expiry_days_left < 0:
            codes.append("expired")
        elif out.expiry_days_left < EXPIRY_WARNING_DAYS:
            codes.append("expiry-soon")
    if out.other_key:
        codes.append("secret-for-another-key")
    if out.rotation is not None:
        codes.append("rotation-in-progress")
    if out.offboarding is not None:
        codes.append("offboarding")
    return codes
