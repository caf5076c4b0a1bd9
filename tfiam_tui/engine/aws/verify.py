"""After ``terraform apply``: ask the AWS API whether the user is what was asked for.

Terraform's state says what Terraform believes; this module asks IAM itself (with
boto3, the same API the provider uses) and produces a checklist.  Each check is a
:class:`Check`; a failed API call becomes a failed check carrying the error, never
a traceback, and no check ever carries a secret.

It looks at everything that gives the user permissions, not only at what the answers
name (:mod:`.permissions`, :mod:`.grants`): every group the user is in, inline and
attached policies on the user and on tfiam's groups, the permissions boundary, the
console password and its reset flag, the access keys; and it lints the effective
permissions as read (:mod:`.effective`).  Anything the answers did not ask for fails,
named, with the AWS CLI command that removes it.

    checks = verify(Expected.from_answers(answers), region="eu-central-1")
    print(format_checklist(checks))
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .clients import aws_session, error_text, paged
from .expected import Check, Expected
from .grants import IamReader
from .grants import cli as _cli
from .permissions import permission_checks
from .permissions import probe as _run

# Error codes meaning "this new access key is not known everywhere yet".
_KEY_NOT_YET_VALID = {"InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure"}


def verify(
    expected: Expected,
    *,
    region: str,
    endpoint: str | None = None,
    profile: str | None = None,
    access_key: tuple[str, str] | None = None,
    key_propagation_wait: float = 20.0,
    credentials: tuple[str, str] | None = None,
    check_stray_keys: bool = False,
    managed_key_ids: Iterable[str] = (),
    iam: Any = None,
) -> list[Check]:
    """Check the account against ``expected``; return the checklist, in order.

    ``endpoint``: base URL of a stand-in AWS (the sandbox); ``None`` for AWS itself.
    ``profile``: a named profile; otherwise boto3's default credential chain.
    ``check_stray_keys``: also check that the user has no access key other than
    ``managed_key_ids`` (those in Terraform's state).
    ``credentials``: explicit (access key id, secret) for the checking identity (the
    sandbox's dummy credentials), instead of ``profile`` and the default chain.
    ``iam``: an IAM client to use (``tfiam status`` shares one across users); made here if None.
    ``access_key``: ``(access_key_id, secret)`` of the user's new key: when given,
    STS GetCallerIdentity is called *with that key* and must name the user.  A new
    key takes a few seconds to work everywhere in AWS, so an "invalid token" answer
    is retried for up to ``key_propagation_wait`` seconds.
    """
    retry = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30)
    try:
        if iam is None:
            iam = aws_session(region, profile, credentials).client("iam", endpoint_url=endpoint, config=retry)
    except (BotoCoreError, ValueError) as exc:
        return [Check("connect to the AWS API", False, error_text(exc))]

    user_name = expected.user_name
    user: dict[str, Any] = {}
    checks: list[Check] = []

    def user_exists() -> tuple[bool, str]:
        user.update(iam.get_user(UserName=user_name)["User"])
        if user.get("Path") != expected.user_path:
            return False, f"path is {user.get('Path')!r}, expected {expected.user_path!r}"
        return True, user["Arn"]

    checks.append(_run(f"user {user_name} exists at path {expected.user_path}", user_exists))

    def tags_equal() -> tuple[bool, str]:
        actual = {t["Key"]: t["Value"] for t in paged(iam, "list_user_tags", "Tags", UserName=user_name)}
        want = expected.tags
        problems = []
        for key in sorted(want.keys() - actual.keys()):
            problems.append(f"missing tag {key!r}")
        for key in sorted(actual.keys() - want.keys()):
            problems.append(f"unexpected tag {key!r}={actual[key]!r}")
        for key in sorted(want.keys() & actual.keys()):
            if want[key] != actual[key]:
                problems.append(f"tag {key!r} is {actual[key]!r}, expected {want[key]!r}")
        if problems:
            return False, "; ".join(problems)
        return True, f"{len(actual)} tag(s)"

    checks.append(_run("tags are exactly the expected ones", tags_equal))

    def boundary() -> tuple[bool, str]:
        got = (user or iam.get_user(UserName=user_name)["User"]).get("PermissionsBoundary", {})
        actual = got.get("PermissionsBoundaryArn")
        want = expected.permissions_boundary
        if actual == want:
            return True, actual or "none, as expected"
        return False, f"boundary is {actual or 'not set'}, expected {want or 'none'}"

    checks.append(_run("permissions boundary", boundary))

    reader = IamReader(iam, user_name)
    checks.extend(permission_checks(reader, expected))

    login: dict[str, Any] = {}  # the login profile, once read

    def login_profile() -> tuple[bool, str]:
        try:
            login.update(iam.get_login_profile(UserName=user_name)["LoginProfile"])
            present = True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            present = False
        if present == expected.login_profile:
            return True, "console password set" if present else "no console password, as expected"
        if present:
            fix = _cli("aws", "iam", "delete-login-profile", "--user-name", user_name)
            return False, f"console password exists but was not asked for (remove: {fix})"
        return False, "no console password"

    checks.append(_run("console login profile", login_profile))

    def password_reset() -> tuple[bool, str]:
        want = expected.password_reset_required
        used = (user or iam.get_user(UserName=user_name)["User"]).get("PasswordLastUsed")
        if used is not None:
            # AWS clears PasswordResetRequired once the user has set a new password, and setting
            # one takes a sign-in, which records PasswordLastUsed: from then on the flag says what
            # the user did, not what tfiam asked for, so a false there is no fault.
            when = used.date().isoformat() if hasattr(used, "date") else str(used)
            return True, f"not compared: the password was used ({when}); AWS clears the flag once it is changed"
        actual = bool(login.get("PasswordResetRequired"))
        if actual == want:
            return True, ("the user must choose a new password at first sign-in" if want
                          else "no new password required at first sign-in, as asked")
        flag = "--password-reset-required" if want else "--no-password-reset-required"
        fix = _cli("aws", "iam", "update-login-profile", "--user-name", user_name, flag)
        return False, f"PasswordResetRequired is {str(actual).lower()}, expected {str(want).lower()} (set it: {fix})"

    if expected.login_profile and login:
        checks.append(_run("console password must be changed at first sign-in" if expected.password_reset_required
                           else "console password reset not required", password_reset))

    if expected.access_key or access_key is not None:

        def key_exists() -> tuple[bool, str]:
            keys = paged(iam, "list_access_keys", "AccessKeyMetadata", UserName=user_name)
            active = [k["AccessKeyId"] for k in keys if k.get("Status") == "Active"]
            if access_key is not None and access_key[0] not in active:
                return False, f"{access_key[0]} is not an active key of {user_name} (active: {', '.join(active) or 'none'})"
            if not active:
                return False, "no active access key"
            return True, ", ".join(active)

        checks.append(_run("access key exists and is active", key_exists))

    def no_stray_keys() -> tuple[bool, str]:
        keys = [k["AccessKeyId"] for k in paged(iam, "list_access_keys", "AccessKeyMetadata", UserName=user_name)]
        stray = [k for k in keys if k not in managed]
        if stray:
            fix = "; ".join(_cli("aws", "iam", "delete-access-key", "--user-name", user_name, "--access-key-id", k)
                            for k in stray)
            return False, (
                f"{', '.join(stray)} not managed by this workspace (left by an interrupted apply, or made by "
                f"hand); nobody holds its secret through tfiam. Delete it if it is not in use: {fix}"
            )
        return True, "none"

    managed = set(managed_key_ids)
    if check_stray_keys:
        checks.append(_run("no access keys besides the managed ones", no_stray_keys))

    if access_key is not None:
        key_id, secret = access_key

        def key_works() -> tuple[bool, str]:
            sts = boto3.session.Session(
                aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=region
            ).client("sts", endpoint_url=endpoint, config=retry)
            deadline = time.monotonic() + key_propagation_wait
            while True:
                try:
                    arn = sts.get_caller_identity()["Arn"]
                    break
                except ClientError as exc:
                    code = exc.response.get("Error", {}).get("Code")
                    if code not in _KEY_NOT_YET_VALID or time.monotonic() > deadline:
                        raise
                    time.sleep(2)
            want = user.get("Arn")
            if want is None:
                return False, f"the key signs in as {arn}, but the user was not found to compare"
            if arn != want:
                return False, f"the key signs in as {arn}, expected {want}"
            return True, f"{key_id} signs in as {arn}"

        checks.append(_run("access key works (STS GetCallerIdentity)", key_works))
        if secret:  # belt and braces: no detail may ever hold the secret
            checks = [Check(c.name, c.ok, c.detail.replace(secret, "***")) for c in checks]

    return checks


def format_checklist(checks: Iterable[Check]) -> str:
    """One line per check: ``[ok] name: detail`` or ``[FAIL] name: detail``."""
    lines = []
    for check in checks:
        mark = "[ok]" if check.ok else "[FAIL]"
        lines.append(f"{mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
    return "\n".join(lines)


def all_ok(checks: Iterable[Check]) -> bool:
    return all(c.ok for c in checks)
