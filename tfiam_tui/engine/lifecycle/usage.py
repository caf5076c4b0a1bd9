"""What a user's credentials reached, from IAM's service-last-accessed report
(GenerateServiceLastAccessedDetails, then GetServiceLastAccessedDetails until the job is
done): the evidence ``tfiam offboard`` looks for beside each key's last use and the
password's, before it deletes anyone.  The report is AWS's own; a stand-in that lacks it
(moto) makes it "not available", which is said, never taken for "nothing used"."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from ..aws.clients import error_text
from .rotation import iso

WAIT = 30.0  # seconds the report may take; IAM usually has it within a few


@dataclass
class ServiceUse:
    since: list[str] = field(default_factory=list)  # services reached after the time asked about, in words
    unavailable: str | None = None  # why the report could not be read (None: it was)

    def line(self) -> str:
        if self.unavailable:
            return f"  IAM's service-last-accessed report: not available ({self.unavailable})"
        return "  IAM's service-last-accessed report: " + (", ".join(self.since) or "no service reached since the disable")


def service_use(iam: Any, user_arn: str, since: dt.datetime, *, wait: float = WAIT,
                sleep: Any = time.sleep) -> ServiceUse:
    try:
        job = iam.generate_service_last_accessed_details(Arn=user_arn)["JobId"]
        deadline = time.monotonic() + wait
        services: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            got = iam.get_service_last_accessed_details(JobId=job, **({"Marker": marker} if marker else {}))
            status = got.get("JobStatus")
            if status == "FAILED":
                return ServiceUse(unavailable=f"the report failed: {(got.get('Error') or {}).get('Message', '')}")
            if status != "COMPLETED":
                if time.monotonic() > deadline:
                    return ServiceUse(unavailable=f"the report was not ready within {wait:.0f} s; run this again")
                sleep(1)
                continue
            services += got.get("ServicesLastAccessed", [])
            if not got.get("IsTruncated"):
                break
            marker = got.get("Marker")
    except (ClientError, BotoCoreError) as exc:
        return ServiceUse(unavailable=error_text(exc))
    except ResponseParserError:  # a stand-in without the API answers 500 with a web page (moto)
        return ServiceUse(unavailable="this endpoint does not implement it")
    used = [s for s in services if isinstance(s.get("LastAuthenticated"), dt.datetime) and s["LastAuthenticated"] > since]
    return ServiceUse([f"{s.get('ServiceNamespace')} at {iso(s['LastAuthenticated'])}" for s in used])
