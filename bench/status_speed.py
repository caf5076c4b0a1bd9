"""How long ``tfiam status`` takes for 1 and for 50 users against the sandbox, and how many
AWS API calls it makes (issue 14's target: 1 s for one user, 5 s for 50).

The users are made with boto3 as a replay would leave them (tags, a group with a managed
policy, one access key) and each workspace holds a state with the key's id, so status
reads and verifies each one fully; no terraform runs.  Timed twice: the ``tfiam`` console
script end to end (what a cron job waits for), and the command in this process (the API
calls counted by a botocore hook).

    .venv/bin/python -m bench.status_speed [--users 50]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import yaml

TFIAM = str(Path(sys.executable).with_name("tfiam"))
POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def make_user(iam, folder: Path, endpoint: str, n: int) -> Path:
    name, group = f"bench-status-{n}", f"bench-status-{n}-readers"
    tags = {"Owner": "bench", "Purpose": "status speed", "Expiry": "2099-12-31"}
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=POLICY)
    iam.add_user_to_group(GroupName=group, UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    ws = folder / f"ws-{n}"
    ws.mkdir()
    (ws / "terraform.tfstate").write_text(json.dumps({"version": 4, "outputs": {"access_key_id": {"value": key}}}))
    answers = {"version": 1, "workspace": str(ws), "provider": {"region": "eu-central-1", "endpoint": endpoint},
               "user": {"name": name, "tags": tags},
               "permissions": {"groups": [{"name": group, "managed_policies": [POLICY]}]},
               "authentication": {"access_key": True, "pgp_key": "nobody@example.com"}}
    path = folder / f"user-{n}.yaml"
    path.write_text(yaml.safe_dump(answers))
    return path


def counted(paths: list[Path]) -> tuple[float, int, int]:
    """Run the command in this process: seconds, API calls, exit code."""
    import botocore.client

    from tfiam_tui.commands.cli import main

    calls = 0
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["status", *map(str, paths), "--format", "json"])
        return time.perf_counter() - start, calls, code
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def main() -> int:
    from tfiam_tui.engine.aws.sandbox import Sandbox

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(sandbox.env())
        iam = boto3.client("iam", endpoint_url=sandbox.endpoint, region_name="eu-central-1")
        paths = [make_user(iam, Path(tmp), sandbox.endpoint, n) for n in range(args.users)]
        counted(paths[:1])  # warm the imports and the sandbox once
        print(f"{'users':>5}  {'console script':>14}  {'in process':>10}  {'API calls':>9}  exit")
        for group in (paths[:1], paths):
            start = time.perf_counter()
            done = subprocess.run([TFIAM, "status", *map(str, group), "--format", "json"], capture_output=True,
                                  text=True, env={**os.environ, **sandbox.env()})
            wall = time.perf_counter() - start
            secs, calls, code = counted(group)
            print(f"{len(group):>5}  {wall:>12.2f} s  {secs:>8.2f} s  {calls:>9}  {done.returncode}/{code}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
