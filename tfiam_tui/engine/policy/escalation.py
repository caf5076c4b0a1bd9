"""What makes a set of IAM actions dangerous: the privilege-escalation paths (one table,
``data/escalation_paths.json``: the actions each path needs, which of them count only on a
broad resource, the service ``iam:PassRole`` hands the role to, where the path was
published), and the reads that exfiltrate data.  The checks that use them are in
:mod:`.checks` and :mod:`.combinations`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PATHS_FILE = Path(__file__).resolve().parent / "data" / "escalation_paths.json"


@dataclass(frozen=True)
class EscalationPath:
    """One way up.  ``actions``: all of them are needed (from any of the principal's
    policies); ``unscoped``: those that count only on a broad resource (``sts:AssumeRole``
    on one named role is the normal use, on ``*`` a way into any role that trusts the
    account); ``passed_to``: the service principal a passed role goes to; ``on_self``:
    the path works on the principal itself (a policy attached to its own user), so its
    own ARN is no narrowing."""

    id: str
    actions: tuple[str, ...]
    how: str
    resource: str
    sources: tuple[str, ...]
    unscoped: frozenset[str] = frozenset()
    passed_to: str | None = None
    on_self: bool = False

    @property
    def passes_role(self) -> bool:
        return any(a.lower() == "iam:passrole" for a in self.actions)

    @property
    def needs(self) -> tuple[str, ...]:
        """The actions besides iam:PassRole."""
        return tuple(a for a in self.actions if a.lower() != "iam:passrole")


def _load() -> tuple[dict[str, dict[str, str]], tuple[EscalationPath, ...], dict[str, tuple[str, ...]]]:
    raw = json.loads(PATHS_FILE.read_text(encoding="utf-8"))
    paths = tuple(EscalationPath(p["id"], tuple(p["actions"]), p["how"], p["resource"], tuple(p["sources"]),
                                 frozenset(a.lower() for a in p.get("unscoped", ())), p.get("passed_to"),
                                 bool(p.get("on_self")))
                  for p in raw["paths"])
    managed = {name.lower(): tuple(ids) for name, ids in raw["managed_policies"].items()}
    return raw["sources"], paths, managed


# Small (a few kB) and needed by every lint: read once at import.
SOURCES, PATHS, _MANAGED = _load()
BY_ID = {p.id: p for p in PATHS}
SINGLE_PATHS = tuple(p for p in PATHS if len(p.actions) == 1)
COMBINED_PATHS = tuple(p for p in PATHS if len(p.actions) > 1)

# The one-action paths by action, and the PassRole combinations by what else they need
# (the shapes the first rules had; the tests and the wizard's callers read them).
ESCALATION_ACTIONS: dict[str, str] = {p.actions[0]: p.how for p in SINGLE_PATHS}
PASSROLE_COMBOS: list[tuple[tuple[str, ...], str]] = [(p.needs, p.how) for p in COMBINED_PATHS if p.passes_role]


def managed_policy_paths(name: str) -> tuple[EscalationPath, ...]:
    """The paths an AWS managed policy permits that tfiam ships no document for."""
    return tuple(BY_ID[i] for i in _MANAGED.get(name.lower(), ()))


# Acting on one's own user (``user/${aws:username}``) with these is self-service, not escalation.
_SELF_SERVICE = {"iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile", "iam:deleteaccesskey"}


# Read actions that leak data when unconstrained (cloudsplaining's data-exfiltration list).
DATA_EXFILTRATION = {"s3:getobject", "ssm:getparameter", "ssm:getparameters", "ssm:getparametersbypath",
                     "secretsmanager:getsecretvalue"}
