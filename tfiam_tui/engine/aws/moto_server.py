"""The sandbox's stand-in AWS: a local moto server with tfiam's IAM gaps filled.

Run it with::

    python -m tfiam_tui.engine.aws.moto_server --port 5000 [--host 127.0.0.1] [--verbose]

It prints exactly one line, ``tfiam sandbox listening on http://HOST:PORT``, when it is
ready, serves until SIGTERM or SIGINT (Ctrl-C), then exits with status 0.  Everything lives
in this process's memory: it never talks to a real AWS account; its state ends with it.

moto 5.2 covers most of what the hashicorp/aws provider calls for an IAM user, but
not all of it.  :func:`install_iam_gaps` fills the holes the provider falls into, in
one place, so a moto upgrade has a single function to re-check.  Without it the
provider retries a moto "not implemented" 500 for many minutes before failing.
:func:`install_state_backend_gaps` does the same for the S3 state backend: atomic
conditional writes for the state locks, and TLS-only bucket policies.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any

from .moto_serving import install_key_tracking, one_request_at_a_time, one_send_handler, refuse_disabled_keys

# moto reads this when its IAM backend is first built: the AWS managed policies
# (PowerUserAccess, ReadOnlyAccess, ...) must exist so workspaces can attach them.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

READY_PREFIX = "tfiam sandbox listening on "

_installed = False


def install_iam_gaps() -> None:
    """Teach moto's IAM what the hashicorp/aws provider needs for one IAM user.

    Idempotent; call it before the server handles its first request.  What it adds:

    a. **User permissions boundaries.**  moto ignores ``PermissionsBoundary`` on
       CreateUser, never returns it from GetUser, and does not implement
       PutUserPermissionsBoundary / DeleteUserPermissionsBoundary.  Users now store
       ``permissions_boundary_arn`` and expose ``permissions_boundary`` exactly as
       moto's ``Role`` does, so CreateUser and GetUser return it (ListUsers does not,
       as in AWS).  Like moto's roles, the ARN is checked for shape only, not for
       existence: a boundary ARN naming the operator's real account still works.
    b. **ListServiceSpecificCredentials** (called by the provider's force_destroy
       delete): answers an empty list; moto has no service-specific credentials.
       The other force_destroy listings (ListAccessKeys, ListSSHPublicKeys,
       ListSigningCertificates, ListMFADevices, ListVirtualMFADevices,
       ListGroupsForUser, ListUserPolicies, ListAttachedUserPolicies) exist in moto.
    c. **Delete conflicts as in AWS.**  moto deletes a user that still has access
       keys, a console password or group memberships (leaving it dangling in its
       groups), a group that still has members or policies, and a managed policy that
       is still attached.  AWS refuses each with ``DeleteConflict``; so does the
       sandbox now, so a workspace that destroys in the wrong order fails here too.
    d. **A login profile's PasswordResetRequired.**  moto's CreateLoginProfile drops
       the flag (GetLoginProfile says false whatever was asked), and UpdateLoginProfile
       without ``Password`` deletes the password (moto stores ``None``), and without
       ``PasswordResetRequired`` clears the flag.  The sandbox keeps what was sent and
       leaves alone what was not, as AWS does, so verifying the flag means something.
    e. **GetPolicyVersion's document URL-encoded**, as AWS sends it and the provider decodes
       it: moto sent it raw, so a "+" came back a space (a plan that never settles).
    """
    global _installed
    if _installed:
        return

    from moto.core.responses import ActionResult, EmptyResult
    from moto.core.serialize import never_return, return_if_not_empty, url_encode
    from moto.iam import models
    from moto.iam.exceptions import DeleteConflictException, InvalidInput
    from moto.iam.responses import IamResponse as _IamResponse

    # The classes patched below, as Any: they gain attributes and methods moto does not
    # declare, so their types say nothing about them once patched.
    backend_cls: Any = models.IAMBackend
    user_cls: Any = models.User
    IamResponse: Any = _IamResponse

    # ---- (a) permissions boundaries on users ---------------------------------
    user_cls.permissions_boundary_arn = None  # class default: users created before too

    def permissions_boundary(self: Any) -> dict[str, str] | None:
        if self.permissions_boundary_arn:
            return {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": self.permissions_boundary_arn,
            }
        return None

    user_cls.permissions_boundary = property(permissions_boundary)

    def check_boundary_arn(backend: Any, arn: str | None) -> None:
        if arn and not backend.policy_arn_regex.match(arn):
            raise InvalidInput(f"ARN {arn} is not valid.")

    original_create_user = backend_cls.create_user

    def create_user(
        self: Any,
        region_name: str,
        user_name: str,
        path: str = "/",
        tags: list[dict[str, str]] | None = None,
        permissions_boundary: str | None = None,
    ) -> Any:
        check_boundary_arn(self, permissions_boundary)
        user = original_create_user(self, region_name, user_name, path, tags)
        user.permissions_boundary_arn = permissions_boundary or None
        return user

    def put_user_permissions_boundary(self: Any, user_name: str, arn: str) -> None:
        check_boundary_arn(self, arn)
        if not arn:
            raise InvalidInput("PermissionsBoundary must not be empty.")
        self.get_user(user_name).permissions_boundary_arn = arn

    def delete_user_permissions_boundary(self: Any, user_name: str) -> None:
        self.get_user(user_name).permissions_boundary_arn = None

    backend_cls.create_user = create_user
    backend_cls.put_user_permissions_boundary = put_user_permissions_boundary
    backend_cls.delete_user_permissions_boundary = delete_user_permissions_boundary

    def response_create_user(self: Any) -> Any:
        user = self.backend.create_user(
            self.region,
            user_name=self._get_param("UserName"),
            path=self._get_param("Path"),
            tags=self._get_param("Tags", []),
            permissions_boundary=self._get_param("PermissionsBoundary"),
        )
        return ActionResult({"User": user})

    def response_put_user_permissions_boundary(self: Any) -> Any:
        self.backend.put_user_permissions_boundary(
            self._get_param("UserName"), self._get_param("PermissionsBoundary")
        )
        return EmptyResult()

    def response_delete_user_permissions_boundary(self: Any) -> Any:
        self.backend.delete_user_permissions_boundary(self._get_param("UserName"))
        return EmptyResult()

    # moto looks actions up by method name on every request (camel -> snake case).
    IamResponse.create_user = response_create_user
    IamResponse.put_user_permissions_boundary = response_put_user_permissions_boundary
    IamResponse.delete_user_permissions_boundary = response_delete_user_permissions_boundary
    IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER = {
        **IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER,
        "CreateUserResponse.User.PermissionsBoundary": return_if_not_empty,
        "GetUserResponse.User.PermissionsBoundary": return_if_not_empty,
        "ListUsersResponse.Users.User.PermissionsBoundary": never_return,
        "GetPolicyVersionResponse.PolicyVersion.Document": url_encode,  # (e)
    }

    # ---- (b) ListServiceSpecificCredentials ---------------------------------
    def response_list_service_specific_credentials(self: Any) -> Any:
        user_name = self._get_param("UserName")
        if user_name:
            self.backend.get_user(user_name)  # NoSuchEntity for an unknown user, as AWS
        return ActionResult({"ServiceSpecificCredentials": []})

    IamResponse.list_service_specific_credentials = response_list_service_specific_credentials

    # ---- (c) delete conflicts -------------------------------------------------
    original_delete_user = backend_cls.delete_user
    original_delete_group = backend_cls.delete_group
    original_delete_policy = backend_cls.delete_policy

    def delete_user(self: Any, user_name: str) -> None:
        user = self.get_user(user_name)
        left = []
        if user.access_keys:
            left.append("access keys")
        if user.password is not None:
            left.append("a login profile")
        if self.get_groups_for_user(user_name):
            left.append("group memberships")
        if user.ssh_public_keys:
            left.append("SSH public keys")
        if user.signing_certificates:
            left.append("signing certificates")
        if user.mfa_devices:
            left.append("MFA devices")
        if left:
            raise DeleteConflictException(
                f"Cannot delete entity, must remove {', '.join(left)} first."
            )
        original_delete_user(self, user_name)

    def delete_group(self: Any, group_name: str) -> None:
        group = self.get_group(group_name)
        if group.users:
            raise DeleteConflictException("Cannot delete entity, must remove users from group first.")
        if group.managed_policies:
            raise DeleteConflictException("Cannot delete entity, must detach all policies first.")
        if group.policies:
            raise DeleteConflictException("Cannot delete entity, must delete policies first.")
        original_delete_group(self, group_name)

    def delete_policy(self: Any, policy_arn: str) -> None:
        if self.get_policy(policy_arn).attachment_count > 0:
            raise DeleteConflictException("Cannot delete a policy attached to entities.")
        original_delete_policy(self, policy_arn)

    backend_cls.delete_user = delete_user
    backend_cls.delete_group = delete_group
    backend_cls.delete_policy = delete_policy

    # ---- (d) PasswordResetRequired on login profiles ----------------------------
    def response_create_login_profile(self: Any) -> Any:
        user = self.backend.create_login_profile(self._get_param("UserName"), self._get_param("Password"))
        user.password_reset_required = bool(_flag(self._get_param("PasswordResetRequired")))
        profile = {"UserName": user.name, "CreateDate": user.create_date, "PasswordResetRequired": user.password_reset_required}
        return ActionResult({"LoginProfile": profile})

    original_update_login_profile = backend_cls.update_login_profile

    def update_login_profile(self: Any, user_name: str, password: str | None, reset: bool | None) -> Any:
        user = self.get_user(user_name)
        kept = (user.password if password is None else password, user.password_reset_required if reset is None else reset)
        return original_update_login_profile(self, user_name, *kept)

    def response_update_login_profile(self: Any) -> Any:
        self.backend.update_login_profile(
            self._get_param("UserName"), self._get_param("Password"), _flag(self._get_param("PasswordResetRequired"))
        )
        return EmptyResult()

    backend_cls.update_login_profile = update_login_profile
    IamResponse.create_login_profile = response_create_login_profile
    IamResponse.update_login_profile = response_update_login_profile

    _installed = True


def _flag(value: Any) -> bool | None:
    """A boolean request parameter as moto hands it over (a bool, or the query string's
    "true"/"false"); None when it was not sent."""
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() == "true"


_state_gaps_installed = False


def _only_for_insecure_transport(statement: dict[str, Any]) -> bool:
    """A statement that applies only to requests made without TLS
    (``"Condition": {"Bool": {"aws:SecureTransport": "false"}}``)."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or set(condition) != {"Bool"}:
        return False
    values = condition["Bool"]
    if not isinstance(values, dict) or set(values) != {"aws:SecureTransport"}:
        return False
    wanted = values["aws:SecureTransport"]
    wanted = wanted if isinstance(wanted, list) else [wanted]
    return [str(v).lower() for v in wanted] == ["false"]


def install_state_backend_gaps() -> None:
    """Teach moto's S3 and DynamoDB what Terraform's s3 backend and a hardened state
    bucket rely on.

    Idempotent; call it before the server handles its first request.  What it adds:

    a. **Atomic conditional writes.**  moto checks S3's ``If-None-Match: *`` (S3
       native state locking, ``use_lockfile``) and DynamoDB's ``ConditionExpression``
       (``dynamodb_table`` locking), then writes, in two steps, while it serves
       requests on several threads: two terraform runs racing for one lock could both
       win.  Every S3 PutObject, and every DynamoDB PutItem / UpdateItem / DeleteItem,
       now runs under one lock per service, so a conditional write checks and writes
       in one step, as in AWS.
    b. **TLS-only bucket policies.**  moto enforces bucket policies on object requests
       but ignores conditions it does not know (``Bool``), so the usual "deny s3:*
       when aws:SecureTransport is false" statement denies *every* object request.
       The sandbox stands in for AWS, which every client reaches over TLS: statements
       that only apply to requests without TLS are left out when moto evaluates a
       bucket policy.  Every other statement is enforced as moto does.
    """
    global _state_gaps_installed
    if _state_gaps_installed:
        return

    import functools
    import json

    from moto.dynamodb.models import DynamoDBBackend
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response as _S3Response

    S3Response: Any = _S3Response  # patched below

    # ---- (a) atomic conditional writes ----------------------------------------
    def serialised(method: Any, lock: threading.Lock) -> Any:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return wrapper

    s3_lock = threading.Lock()
    S3Response.put_object = serialised(S3Response.put_object, s3_lock)  # the If-None-Match check is in here
    dynamodb_lock = threading.Lock()
    for name in ("put_item", "update_item", "delete_item"):
        setattr(DynamoDBBackend, name, serialised(getattr(DynamoDBBackend, name), dynamodb_lock))

    # ---- (b) TLS-only bucket policies -------------------------------------------
    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        kept = [s for s in statements if not _only_for_insecure_transport(s)]
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(action, resource)

    fake_bucket: Any = FakeBucket  # patched: Any, as above
    fake_bucket.get_permission = get_permission

    _state_gaps_installed = True


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tfiam_tui.engine.aws.moto_server",
        description="Local stand-in AWS (moto) for the tfiam sandbox. Never touches a real account.",
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port (0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="stop when stdin closes (the parent that started us has gone away)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT (or stdin EOF with --exit-on-stdin-eof); return 0."""
    args = _parse_args(argv)
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    install_iam_gaps()
    install_state_backend_gaps()
    install_key_tracking()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    stop = threading.Event()

    def request_stop(_signum: int = 0, _frame: Any = None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    app = one_request_at_a_time(refuse_disabled_keys(DomainDispatcherApplication(create_backend_app)))
    try:
        httpd = make_server(
            args.host, args.port, app, threaded=True, request_handler=one_send_handler()
        )
    except (OSError, SystemExit) as exc:  # werkzeug exits when the port is taken
        print(f"tfiam sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    if args.exit_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()

    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    host, port = httpd.server_address[:2]
    host = host.decode() if isinstance(host, bytes) else host
    print(f"{READY_PREFIX}http://{host}:{port}", flush=True)
    while not stop.wait(0.5):  # the main thread wakes up regularly so signals get handled
        pass
    httpd.shutdown()
    httpd.server_close()
    serving.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
