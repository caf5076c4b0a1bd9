"""What ``modules/iam-user/mfa_policy.json`` lets a user do, by evaluating it, not by reading it.

Each check builds a request the way IAM sees one (action, resource ARN, request context with
``aws:username`` and, or without, ``aws:MultiFactorAuthPresent``) and asks the evaluator below
for the decision: explicit deny, allow, or implicit deny.

Why an evaluator here and not a library or the sandbox: moto's own (``moto.iam.access_control``)
does not substitute ``${aws:username}``, ignores ``BoolIfExists`` (an operator it does not know
counts as met, so the MFA deny applies even with MFA) and, in server mode, authorises IAM user
actions against resource ``"*"``, so it cannot tell one user's ARN from another's. The one
library that does evaluate variables and ``...IfExists`` locally, principalmapper (1.1.5, 2022),
is not a dependency and does not import on Python >= 3.10 as released. The evaluator
below does only what this policy needs, and refuses (raises) anything it does not implement, so
a future edit of the policy cannot be evaluated wrongly in silence. Its rules are AWS's
documented ones (IAM User Guide, "Policy evaluation logic", "IAM policy elements: Variables",
"Condition operators"): an explicit Deny wins, then any Allow, else an implicit deny;
``*``/``?`` wildcards; a policy variable is replaced by the request's value, literally.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

POLICY_PATH = Path(__file__).resolve().parents[1] / "modules" / "iam-user" / "mfa_policy.json"
ACCOUNT = "111122223333"

# -- a small IAM evaluator: identity-based policies of one account, nothing else --------------


class Decision(Enum):
    EXPLICIT_DENY = "explicit deny"
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)


_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _wildcard_regex(text: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def _action_matches(pattern: str, action: str) -> bool:
    """Actions compare case-insensitively; ARNs (below) case-sensitively."""
    return re.fullmatch(_wildcard_regex(pattern), action, re.IGNORECASE) is not None


def _resource_matches(pattern: str, resource: str, context: dict[str, str]) -> bool:
    """ARN match after variable substitution. A substituted value is literal (a ``*`` in it would
    not be a wildcard); a variable the request does not carry makes the pattern match nothing."""
    pieces: list[str] = []
    position = 0
    for variable in _VARIABLE.finditer(pattern):
        name = variable.group(1)
        if name in ("*", "?", "$") or "," in name:
            raise NotImplementedError(f"policy variable form {variable.group(0)!r}")
        if name not in context:
            return False
        pieces.append(_wildcard_regex(pattern[position:variable.start()]))
        pieces.append(re.escape(context[name]))
        position = variable.end()
    pieces.append(_wildcard_regex(pattern[position:]))
    return re.fullmatch("".join(pieces), resource) is not None


def _condition_met(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    """Operators AND, keys AND, a key's values OR. Only ``Bool`` and ``BoolIfExists``."""
    for operator, keys in condition.items():
        if operator not in ("Bool", "BoolIfExists"):
            raise NotImplementedError(f"condition operator {operator}")
        for key, expected in keys.items():
            if key not in context:
                if operator == "Bool":
                    return False  # a missing key never satisfies a plain operator
                continue  # ...IfExists: a missing key counts as met
            actual = context[key].lower()
            if not any(actual == str(v).lower() for v in _as_list(expected)):
                return False
    return True


def _statement_applies(statement: dict[str, Any], request: Request) -> bool:
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise NotImplementedError(f"statement elements {sorted(unknown)}")
    if "Action" in statement:
        action_ok = any(_action_matches(a, request.action) for a in _as_list(statement["Action"]))
    else:
        action_ok = not any(_action_matches(a, request.action) for a in _as_list(statement["NotAction"]))
    if "Resource" in statement:
        resource_ok = any(_resource_matches(r, request.resource, request.context) for r in _as_list(statement["Resource"]))
    else:
        resource_ok = not any(_resource_matches(r, request.resource, request.context)
                              for r in _as_list(statement["NotResource"]))
    return action_ok and resource_ok and _condition_met(statement.get("Condition", {}), request.context)


def evaluate(policies: list[dict[str, Any]], request: Request) -> Decision:
    allowed = False
    for policy in policies:
        for statement in _as_list_of_statements(policy["Statement"]):
            if not _statement_applies(statement, request):
                continue
            if statement["Effect"] == "Deny":
                return Decision.EXPLICIT_DENY
            if statement["Effect"] != "Allow":
                raise ValueError(f"Effect {statement['Effect']!r}")
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _as_list_of_statements(statements: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [statements] if isinstance(statements, dict) else statements


# -- the evaluator's own rules, so that a wrong evaluator cannot pass the checks below ----------


def test_evaluator_follows_awss_rules():
    me = f"arn:aws:iam::{ACCOUNT}:user/alice"
    allow_own = {"Statement": [{"Effect": "Allow", "Action": "iam:Get*",
                                "Resource": "arn:aws:iam::*:user/${aws:username}"}]}
    deny_no_mfa = {"Statement": [{"Effect": "Deny", "NotAction": "iam:GetUser", "Resource": "*",
                                  "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}
    allow_all_with_mfa = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    allow_all = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}

    def decide(policy: dict[str, Any], action: str, resource: str, **context: str) -> Decision:
        keys = {k.replace("__", ":"): v for k, v in context.items()}
        return evaluate([policy], Request(action, resource, keys))

    # variables: replaced by the request's value; unresolved, the pattern matches nothing
    assert decide(allow_own, "IAM:getuser", me, aws__username="alice") is Decision.ALLOW  # actions: any case
    assert decide(allow_own, "iam:GetUser", me, aws__username="bob") is Decision.IMPLICIT_DENY
    assert decide(allow_own, "iam:GetUser", me) is Decision.IMPLICIT_DENY
    assert decide(allow_own, "iam:ListUsers", me, aws__username="alice") is Decision.IMPLICIT_DENY
    # ...literally: a name with a regex character matches only itself
    a_dot_b = f"arn:aws:iam::{ACCOUNT}:user/a.b"
    assert decide(allow_own, "iam:GetUser", a_dot_b, aws__username="a.b") is Decision.ALLOW
    assert decide(allow_own, "iam:GetUser", a_dot_b.replace(".", "x"), aws__username="a.b") is Decision.IMPLICIT_DENY
    # BoolIfExists "false": applies when the key is "false" or absent, not when "true"
    bucket = "arn:aws:s3:::b"
    assert decide(deny_no_mfa, "s3:ListBucket", bucket) is Decision.EXPLICIT_DENY
    assert decide(deny_no_mfa, "s3:ListBucket", bucket, aws__MultiFactorAuthPresent="false") is Decision.EXPLICIT_DENY
    assert decide(deny_no_mfa, "s3:ListBucket", bucket, aws__MultiFactorAuthPresent="true") is Decision.IMPLICIT_DENY
    assert decide(deny_no_mfa, "iam:GetUser", me) is Decision.IMPLICIT_DENY  # NotAction leaves it alone
    # plain Bool: a missing key is not met
    assert decide(allow_all_with_mfa, "s3:ListBucket", bucket) is Decision.IMPLICIT_DENY
    assert decide(allow_all_with_mfa, "s3:ListBucket", bucket, aws__MultiFactorAuthPresent="true") is Decision.ALLOW
    # an explicit deny beats an allow, whichever policy holds either
    assert evaluate([allow_all, deny_no_mfa], Request("s3:ListBucket", bucket)) is Decision.EXPLICIT_DENY
    # what it does not implement, it refuses
    with pytest.raises(NotImplementedError):
        decide({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                               "Condition": {"StringLike": {"aws:username": "a*"}}}]}, "s3:ListBucket", bucket)


# -- the MFA policy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    name: str
    path: str

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:user{self.path}{self.name}"


USERS = [User("alice", "/people/"), User("alice", "/")]
USER_IDS = ["path-people", "path-root"]

# Without MFA: a console sign-in without MFA carries "false"; a call signed with an access key
# alone carries no aws:MultiFactorAuthPresent at all. Both must be treated alike.
NO_MFA = {"mfa-false": {"aws:MultiFactorAuthPresent": "false"}, "mfa-absent": {}}
WITH_MFA = {"aws:MultiFactorAuthPresent": "true"}

OWN_USER_ACTIONS = ["iam:ChangePassword", "iam:GetUser", "iam:EnableMFADevice", "iam:ListMFADevices",
                    "iam:ResyncMFADevice"]


def _policy() -> dict[str, Any]:
    return json.loads(POLICY_PATH.read_text(encoding="utf-8"))


def _as(user: User, action: str, resource: str, mfa: dict[str, str]) -> Request:
    context = {"aws:username": user.name, "aws:PrincipalArn": user.arn, **mfa}
    return Request(action, resource, context)


def _others(user: User) -> list[str]:
    """ARNs of other users: same path, root path, another path, names that contain, end with or
    start with the user's name, and a user whose *path* holds the name."""
    base = f"arn:aws:iam::{ACCOUNT}:user"
    return [f"{base}{user.path}bob", f"{base}/bob", f"{base}/people/bob", f"{base}/admins/bob",
            f"{base}{user.path}m{user.name}", f"{base}/m{user.name}", f"{base}{user.path}{user.name}2",
            f"{base}/{user.name}/bob", f"{base}/people/{user.name}/bob"]


def test_policy_is_valid_and_fits_a_managed_policy():
    text = POLICY_PATH.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert doc["Version"] == "2012-10-17"
    assert len("".join(text.split())) <= 6144  # IAM's limit for a managed policy, whitespace not counted


@pytest.mark.parametrize("mfa", NO_MFA.values(), ids=NO_MFA.keys())
@pytest.mark.parametrize("action", OWN_USER_ACTIONS)
@pytest.mark.parametrize("user", USERS, ids=USER_IDS)
def test_own_password_and_mfa_allowed_without_mfa(user, action, mfa):
    assert evaluate([_policy()], _as(user, action, user.arn, mfa)) is Decision.ALLOW


@pytest.mark.parametrize("mfa", NO_MFA.values(), ids=NO_MFA.keys())
@pytest.mark.parametrize("user", USERS, ids=USER_IDS)
def test_virtual_mfa_device_creation_allowed_without_mfa(user, mfa):
    # AWS documents mfa/* here: the device name is the user's choice (the console asks for one);
    # only EnableMFADevice, on the user's own ARN, ties a device to a user.
    for device in (f"arn:aws:iam::{ACCOUNT}:mfa/{user.name}", f"arn:aws:iam::{ACCOUNT}:mfa/{user.name}-phone"):
        assert evaluate([_policy()], _as(user, "iam:CreateVirtualMFADevice", device, mfa)) is Decision.ALLOW
    assert evaluate([_policy()], _as(user, "iam:ListVirtualMFADevices", "*", mfa)) is Decision.ALLOW
    assert evaluate([_policy()], _as(user, "sts:GetSessionToken", "*", mfa)) is not Decision.EXPLICIT_DENY


@pytest.mark.parametrize("mfa", [*NO_MFA.values(), WITH_MFA], ids=[*NO_MFA.keys(), "mfa-true"])
@pytest.mark.parametrize("action", [*OWN_USER_ACTIONS, "iam:DeactivateMFADevice"])
@pytest.mark.parametrize("user", USERS, ids=USER_IDS)
def test_other_users_are_not_granted(user, action, mfa):
    for other in _others(user):
        decision = evaluate([_policy()], _as(user, action, other, mfa))
        assert decision is not Decision.ALLOW, f"{user.arn} may {action} on {other}"


# What the user's other groups grant (say ReadOnlyAccess and an admin group): the MFA policy
# must take it away until MFA, and give it back with MFA.
OTHER_GROUPS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
EVERYTHING_ELSE = [("s3:ListBucket", "arn:aws:s3:::acme-reports"),
                   ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/people/carol"),
                   ("iam:CreateAccessKey", "{own}"),
                   ("iam:DeactivateMFADevice", "{own}"),
                   ("iam:DeleteVirtualMFADevice", f"arn:aws:iam::{ACCOUNT}:mfa/alice"),
                   ("ec2:DescribeInstances", "*")]


@pytest.mark.parametrize("mfa", NO_MFA.values(), ids=NO_MFA.keys())
@pytest.mark.parametrize(("action", "resource"), EVERYTHING_ELSE, ids=[a for a, _ in EVERYTHING_ELSE])
@pytest.mark.parametrize("user", USERS, ids=USER_IDS)
def test_everything_else_denied_without_mfa(user, action, resource, mfa):
    request = _as(user, action, resource.format(own=user.arn), mfa)
    assert evaluate([_policy(), OTHER_GROUPS], request) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(("action", "resource"), EVERYTHING_ELSE, ids=[a for a, _ in EVERYTHING_ELSE])
@pytest.mark.parametrize("user", USERS, ids=USER_IDS)
def test_deny_does_not_apply_with_mfa(user, action, resource):
    request = _as(user, action, resource.format(own=user.arn), WITH_MFA)
    assert evaluate([_policy()], request) is not Decision.EXPLICIT_DENY
    assert evaluate([_policy(), OTHER_GROUPS], request) is Decision.ALLOW


@pytest.mark.parametrize("user", USERS, ids=USER_IDS)
def test_own_mfa_device_can_be_deactivated_only_with_mfa(user):
    assert evaluate([_policy()], _as(user, "iam:DeactivateMFADevice", user.arn, WITH_MFA)) is Decision.ALLOW
    for mfa in NO_MFA.values():
        assert evaluate([_policy()], _as(user, "iam:DeactivateMFADevice", user.arn, mfa)) is Decision.EXPLICIT_DENY
