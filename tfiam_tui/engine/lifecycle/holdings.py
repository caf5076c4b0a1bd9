"""What an IAM user holds that Terraform does not manage, and its removal before the user
is deleted (``tfiam offboard``'s delete step).  IAM refuses DeleteUser with DeleteConflict
while any of it is left; AWS's "Removing an IAM user" lists the same items.  Everything is
listed first (the operator sees it, the archive keeps it), then removed one by one."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..aws.clients import paged


@dataclass
class Holdings:
    mfa_devices: list[str] = field(default_factory=list)  # serial numbers (virtual devices: ARNs)
    ssh_keys: list[str] = field(default_factory=list)
    signing_certificates: list[str] = field(default_factory=list)
    service_credentials: list[str] = field(default_factory=list)
    inline_policies: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        named = [("MFA device", self.mfa_devices), ("SSH public key", self.ssh_keys),
                 ("signing certificate", self.signing_certificates),
                 ("service-specific credential", self.service_credentials), ("inline policy", self.inline_policies)]
        return [f"  {what} {item}" for what, items in named for item in items]

    def to_json(self) -> dict[str, list[str]]:
        return asdict(self)


def listed(iam: Any, user: str) -> Holdings:
    return Holdings(
        mfa_devices=[d["SerialNumber"] for d in paged(iam, "list_mfa_devices", "MFADevices", UserName=user)],
        ssh_keys=[k["SSHPublicKeyId"] for k in paged(iam, "list_ssh_public_keys", "SSHPublicKeys", UserName=user)],
        signing_certificates=[c["CertificateId"] for c in paged(iam, "list_signing_certificates", "Certificates",
                                                                 UserName=user)],
        service_credentials=[c["ServiceSpecificCredentialId"] for c in iam.list_service_specific_credentials(
            UserName=user).get("ServiceSpecificCredentials", [])],
        inline_policies=list(paged(iam, "list_user_policies", "PolicyNames", UserName=user)),
    )


def remove(iam: Any, user: str, found: Holdings, say: Any) -> None:
    """Remove what ``found`` lists; ``say(line)`` for each.  A virtual MFA device is
    deactivated, then deleted (it would otherwise stay in the account, unassigned); a
    hardware or FIDO device is only deactivated (it is not IAM's to delete)."""
    for serial in found.mfa_devices:
        iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
        if serial.startswith("arn:") and ":mfa/" in serial:  # a virtual device (a security key's is ":u2f/")
            iam.delete_virtual_mfa_device(SerialNumber=serial)
        say(f"  removed MFA device {serial}")
    for key in found.ssh_keys:
        iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key)
        say(f"  removed SSH public key {key}")
    for cert in found.signing_certificates:
        iam.delete_signing_certificate(UserName=user, CertificateId=cert)
        say(f"  removed signing certificate {cert}")
    for cred in found.service_credentials:
        iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred)
        say(f"  removed service-specific credential {cred}")
    for name in found.inline_policies:
        iam.delete_user_policy(UserName=user, PolicyName=name)
        say(f"  removed inline policy {name}")
