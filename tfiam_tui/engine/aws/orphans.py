"""Secrets an interrupted apply left in AWS but never in the state.

``CreateAccessKey`` and ``CreateLoginProfile`` can finish in AWS after terraform stopped
listening (SIGKILL, Ctrl-C, the network gone): the key or password exists, its secret was
never stored, nobody holds it.  Left alone, the key fails verification on every later
run and the login profile makes every later apply fail with EntityAlreadyExists.

:func:`find` lists them; only those created inside the interrupted apply's window (the
operator approved creating them) are :attr:`Orphan.ours` and removed by :func:`remove`.
Anything else was made by hand or by someone else and is only reported, with the
command that removes it and the one that adopts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..text import shell_quote
from .clients import paged

KEY = "access key"
LOGIN = "console password"


@dataclass(frozen=True)
class Orphan:
    kind: str  # KEY or LOGIN
    user: str
    ident: str  # the access key id, or the user name for a login profile
    created: datetime
    ours: bool  # created inside the interrupted apply's window

    def removed_line(self) -> str:
        when = self.created.strftime("%Y-%m-%d %H:%M:%S %Z")
        if self.kind == KEY:
            return (f"access key {self.ident} of {self.user} was created at {when} by the apply that was "
                    "interrupted, but terraform never recorded it: its secret was never stored and nobody "
                    "holds it. Deleted it; this run creates the key again.")
        return (f"the console password of {self.user} was created at {when} by the apply that was interrupted, "
                "but terraform never recorded it: the password was never stored. Deleted it; this run "
                "creates it again.")

    def foreign_line(self, workspace: Any, address: str) -> str:
        """Not ours: what it is, and the two ways on (tfiam touches neither)."""
        chdir = shell_quote(str(workspace))
        if self.kind == KEY:
            remove = f"aws iam delete-access-key --user-name {self.user} --access-key-id {self.ident}"
            adopt = f"terraform -chdir={chdir} import {shell_quote(address)} {self.ident}"
        else:
            remove = f"aws iam delete-login-profile --user-name {self.user}"
            adopt = f"terraform -chdir={chdir} import {shell_quote(address)} {self.user}"
        return (f"{self.kind} {self.ident} of {self.user} exists in AWS but not in this workspace's state, and "
                f"was not made by an interrupted tfiam apply (created {self.created:%Y-%m-%d %H:%M:%S %Z}); "
                f"left as it is. Remove it: {remove}; or adopt it: {adopt}")


def find(iam: Any, user: str, *, keys_in_state: set[str], login_in_state: bool,
         ours: Callable[[str, datetime], bool]) -> list[Orphan]:
    """Access keys and the login profile of ``user`` that the state does not hold.
    ``ours(kind, created)``: whether the interrupted apply made it."""
    found: list[Orphan] = []
    try:
        keys = paged(iam, "list_access_keys", "AccessKeyMetadata", UserName=user)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return []  # the user itself was never created
        raise
    for key in keys:
        if key["AccessKeyId"] not in keys_in_state:
            created = key["CreateDate"]
            found.append(Orphan(KEY, user, key["AccessKeyId"], created, ours(KEY, created)))
    if not login_in_state:
        try:
            profile = iam.get_login_profile(UserName=user)["LoginProfile"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
        else:
            created = profile["CreateDate"]
            found.append(Orphan(LOGIN, user, user, created, ours(LOGIN, created)))
    return found


def remove(iam: Any, orphan: Orphan) -> None:
    """Delete an orphan of the interrupted apply (never one that is not :attr:`ours`)."""
    if not orphan.ours:
        raise ValueError(f"{orphan.kind} {orphan.ident} was not made by the interrupted apply; not removing it")
    if orphan.kind == KEY:
        iam.delete_access_key(UserName=orphan.user, AccessKeyId=orphan.ident)
    else:
        iam.delete_login_profile(UserName=orphan.user)
