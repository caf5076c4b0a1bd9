"""How the sandbox's stand-in AWS serves requests: one at a time, each answer in one send,
and, as AWS does, refusing a request signed with an access key that is inactive or was
deleted (moto accepts any key; a rotation's cutover and an offboarding's disable mean
nothing in a sandbox that does).

moto is imported inside the functions: ``moto_server`` sets moto's environment before
moto is first imported.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

# The access key id and the service of a SigV4 request (header, or a presigned URL's query).
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]{16,128})/\d{8}/[^/]*/([a-z0-9-]+)/aws4_request")
_QUERY_CREDENTIAL = re.compile(r"X-Amz-Credential=([A-Z0-9]{16,128})%2F\d{8}%2F[^%]*%2F([a-z0-9-]+)%2F")
_made: set[str] = set()  # every access key id the sandbox's IAM has made
_made_lock = threading.Lock()
_tracking = False


def install_key_tracking() -> None:
    """Remember every access key IAM makes, so a deleted one is recognised afterwards."""
    global _tracking
    if _tracking:
        return
    from moto.iam.models import IAMBackend

    original = IAMBackend.create_access_key

    def create_access_key(self: Any, *args: Any, **kwargs: Any) -> Any:
        key = original(self, *args, **kwargs)
        with _made_lock:
            _made.add(key.access_key_id)
        return key

    IAMBackend.create_access_key = create_access_key  # type: ignore[method-assign]
    _tracking = True


def _key_status(key_id: str) -> str | None:
    """'Active' or 'Inactive' for a key IAM has, 'deleted' for one it made and no longer
    has, None for a key it never made (the sandbox's own dummy credentials)."""
    from moto.iam.models import iam_backends

    for account in list(iam_backends.values()):
        for backend in list(account.values()):
            key = backend.access_keys.get(key_id)
            if key is not None:
                return str(key.status)
    with _made_lock:
        return "deleted" if key_id in _made else None


def _refusal(service: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """AWS's answer to a request signed with a key that does not work, in the service's protocol."""
    if service == "s3":
        body = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS "
                b"Access Key Id you provided does not exist in our records.</Message></Error>")
        return "403 Forbidden", [("Content-Type", "application/xml")], body
    if service == "dynamodb":
        text = json.dumps({"__type": "com.amazon.coral.service#UnrecognizedClientException",
                           "message": "The security token included in the request is invalid."})
        return "400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")], text.encode()
    body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security "
            b"token included in the request is invalid.</Message></Error><RequestId>tfiam-sandbox</RequestId>"
            b"</ErrorResponse>")
    return "403 Forbidden", [("Content-Type", "text/xml")], body


def refuse_disabled_keys(app: Any) -> Any:
    """Wrap a WSGI app so a request signed with an inactive or deleted key is refused."""

    def guarded(environ: dict, start_response: Any) -> Any:
        found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", "")) or _QUERY_CREDENTIAL.search(
            environ.get("QUERY_STRING", ""))
        if found and _key_status(found.group(1)) in ("Inactive", "deleted"):
            status, headers, body = _refusal(found.group(2))
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)

    return guarded


def one_request_at_a_time(app: Any) -> Any:
    """Wrap a WSGI app so it handles one request at a time.

    moto keeps its accounts in plain dicts and lists and was not written for a
    threaded server: two of terraform's parallel requests (it creates a user, a
    group and a policy at once) could meet half-updated state.  AWS applies each
    call atomically; so does the sandbox.  The server stays threaded so
    connections are still accepted while one request runs; each answer is built in
    full under the lock.  moto answers in milliseconds, so the queue costs a
    sandbox run nothing measurable.
    """
    lock = threading.Lock()

    def serialised(environ: dict, start_response: Any) -> list[bytes]:
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return serialised


def one_send_handler() -> Any:
    """moto's request handler for werkzeug's server, answering each request with one
    send: status line, headers and body in a single TCP segment, as AWS does.

    Werkzeug's handler writes the headers and the body unbuffered, in two sends.
    Under load the AWS SDK in terraform's provider, given the headers alone, now and
    then drops the connection before the body arrives and *retries* the call, which
    moto has already carried out: a retried CreateUser fails with
    EntityAlreadyExists, a retried CreateAccessKey makes a second key.  tcpdump
    showed it on 7 of 1,884 connections with four workspaces applying at once on
    two busy cores: every time the provider's FIN or RST came between the
    header segment and the body segment.  A buffered ``wfile`` (werkzeug flushes it
    once per body chunk, and :func:`one_request_at_a_time` makes one chunk) sends
    both together, which closes that window.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class OneSendRequestHandler(MotoRequestHandler):
        wbufsize = -1  # socketserver: buffered writes, sent on werkzeug's flush

    return OneSendRequestHandler


