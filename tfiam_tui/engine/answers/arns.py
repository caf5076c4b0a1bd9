"""ARNs and URLs from the answers, taken apart the way AWS reads them.

A resource in a policy statement is ``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``;
any part may hold IAM's wildcards (``*``, ``?``) or a policy variable (``${aws:username}``),
which stand for text IAM fills in at request time and so are not checked further.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..policy.resources import free_part

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
_SERVICE = re.compile(r"[a-z0-9-]+")
_ACCOUNT = re.compile(r"[0-9]{12}|aws")
_HOST = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(value: str) -> Arn | None:
    """The six parts of an ARN (the resource keeps its own colons); None if it has fewer."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(*parts[1:])


IAM_RESOURCE_TYPES = ("user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
                      "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/",
                      "report/", "access-report/")

# S3's resource types that live in a region (AWS's Service Authorization Reference); buckets
# and objects do not, and IAM refuses their ARNs with one ("can not contain region information").
S3_REGIONAL_TYPES = ("accesspoint/", "job/", "storage-lens/", "storage-lens-group/", "access-grants/",
                     "async-request/")


def arn_problem(value: str) -> str | None:
    """What is wrong with a statement's resource ARN, or None."""
    from . import choices

    bad = [c for c in value if not (c == "\t" or " " <= c <= "\u00ff") or c in "\r\n"]
    if bad:
        return f"it has the character {bad[0]!r} (IAM policy documents allow only Latin-1 text)"
    if any(c.isspace() for c in value):
        return "it has a space"
    arn = parse_arn(value)
    if arn is None:
        return "an ARN has six parts separated by ':' and starts with 'arn:'"
    if not (arn.partition in PARTITIONS or arn.partition == "*"):  # IAM fills in no variable here
        return f"{arn.partition!r} is not an AWS partition ({', '.join(PARTITIONS)}, or '*')"
    if not arn.service:
        return "the service part is empty"
    if not (_SERVICE.fullmatch(arn.service) or free_part(arn.service)):
        return f"{arn.service!r} is not a service namespace (lowercase letters, digits and '-')"
    if arn.region and not (free_part(arn.region) or choices.known_region(arn.region)):
        return f"{arn.region!r} is not an AWS region"
    if arn.account and not (_ACCOUNT.fullmatch(arn.account) or free_part(arn.account)):
        return f"{arn.account!r} is not an account ID (12 digits)"
    if not arn.resource:
        return "the resource part is empty"
    if arn.service == "iam":  # IAM's own grammar, as its MalformedPolicyDocument messages state it
        if arn.region:
            return "an IAM ARN has no region (IAM is global): arn:aws:iam::ACCOUNT:..."
        if not (arn.resource == "*" or arn.resource.startswith(IAM_RESOURCE_TYPES)):
            return f"an IAM resource is '*' or starts with {', '.join(IAM_RESOURCE_TYPES[:4])}, ..."
    if arn.service == "s3" and arn.region and not arn.resource.startswith(S3_REGIONAL_TYPES):
        return (f"an S3 bucket or object ARN has no region: arn:{arn.partition}:s3:::BUCKET/KEY "
                f"(only {', '.join(S3_REGIONAL_TYPES)} ARNs have one)")
    return None


def endpoint_problem(value: str) -> str | None:
    """What is wrong with a stand-in AWS endpoint URL, or None.  The provider and boto3
    put the service's path after it, so a path of its own would be dropped or doubled."""
    if any(not c.isprintable() or c.isspace() for c in value):
        return "has a space or a control character"
    if not value.isascii():
        return "is not ASCII"
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if url.scheme not in ("http", "https"):
        return "does not start with http:// or https://"
    if url.username is not None or url.password is not None:
        return "has a user name or password in it"
    host = url.hostname or ""
    if not host:
        return "has no host"
    if not _host_ok(host):
        return f"has {host!r}, which is not a host name or IP address"
    if port == 0:
        return "has port 0"
    if url.path not in ("", "/") or url.query or url.fragment or value.endswith(("?", "#")):
        return "has a path, query or fragment"
    return None


def _host_ok(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST.fullmatch(host)) and len(host) <= 253
