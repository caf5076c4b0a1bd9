"""Property tests: arbitrary text in every free-text field is either rejected with a
message naming the field, or goes through the real terraform and lands in (the
stand-in) AWS byte for byte.  No crash, no traceback, no HCL injection."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_e2e import TFIAM
from tfiam_tui.engine import answers as A

BASE = {
    "version": 1,
    "provider": {"region": "eu-central-1"},
    "user": {"name": "prop-user", "tags": {}},
    "permissions": {"groups": [{"name": "prop-group", "custom_policy": {
        "name": "prop-policy", "description": "",
        "statements": [{"effect": "Allow", "actions": ["s3:GetObject"], "resources": ["*"]}]}}]},
}

# Text that loves to break things: HCL template sequences, quotes, YAML specials,
# control characters, other scripts, surrogates excluded (YAML cannot carry them).
nasty = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(list('${}%"\'\\\n\t :#@/=+-_.*?[]|&!<>') + ["${path.cwd}", "%{if}", "東", "ë"]),
             max_size=20).map("".join),
    st.sampled_from(["", " ", "null", "true", "1e3", "${aws:username}", "x\" } resource \"null\" \"y\" {"]),
)

FIELDS = {
    "user.name": lambda d, v: d["user"].__setitem__("name", v),
    "user.path": lambda d, v: d["user"].__setitem__("path", v),
    "user.tags.<key>": lambda d, v: d["user"]["tags"].__setitem__(v, "x"),
    "user.tags.Owner": lambda d, v: d["user"]["tags"].__setitem__("Owner", v),
    "permissions.groups[0].name": lambda d, v: d["permissions"]["groups"][0].__setitem__("name", v),
    "permissions.groups[0].custom_policy.name":
        lambda d, v: d["permissions"]["groups"][0]["custom_policy"].__setitem__("name", v),
    "permissions.groups[0].custom_policy.description":
        lambda d, v: d["permissions"]["groups"][0]["custom_policy"].__setitem__("description", v),
}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), value=nasty)
def test_any_text_is_accepted_or_rejected_with_the_field_named(field, value):
    data = copy.deepcopy(BASE)
    FIELDS[field](data, value)
    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        loaded = A.loads(text)
    except A.AnswersError as exc:
        assert exc.problems, "an error must say what is wrong"
        prefix = field.split(".<key>")[0].rsplit(".Owner", 1)[0]
        assert any(p.field.startswith(prefix) and p.message for p in exc.problems), exc.problems
        return
    # accepted: it survives a save and a load unchanged
    assert A.loads(A.dumps(loaded)) == loaded


def _valid(field: str, value: str) -> bool:
    data = copy.deepcopy(BASE)
    FIELDS[field](data, value)
    try:
        A.parse(data)
    except A.AnswersError:
        return False
    return True


tag_values = nasty.filter(lambda v: _valid("user.tags.Owner", v))
descriptions = nasty.filter(lambda v: _valid("permissions.groups[0].custom_policy.description", v))


@pytest.mark.e2e
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.filter_too_much])
@given(values=st.lists(tag_values, min_size=12, max_size=12), texts=st.lists(descriptions, min_size=6, max_size=6))
def test_accepted_text_lands_in_aws_byte_for_byte(tmp_path_factory, moto_endpoint, tf_plugin_dir, values, texts):
    """One apply per example (two examples): 12 tag values and 6 policy descriptions."""
    tmp = tmp_path_factory.mktemp("prop")
    suffix = tmp.name.replace("_", "-")[-12:]
    user = f"prop-{suffix}"
    tags = {f"K{i}": v for i, v in enumerate(values)}
    groups = [
        {"name": f"pg{i}-{suffix}", "custom_policy": {
            "name": f"pp{i}-{suffix}", "description": text,
            "statements": [{"effect": "Allow", "actions": ["s3:GetObject"], "resources": ["*"]}]}}
        for i, text in enumerate(texts)
    ]
    data = {"version": 1, "workspace": "./ws",
            "provider": {"region": "eu-central-1", "endpoint": moto_endpoint},
            "user": {"name": user, "tags": tags}, "permissions": {"groups": groups}}
    answers = tmp / "answers.yaml"
    answers.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = subprocess.run([TFIAM, "replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="eu-central-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    landed = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user)["Tags"]}
    assert landed == tags
    for group, text in zip(groups, texts, strict=True):  # one group per text
        arn = f"arn:aws:iam::123456789012:policy/{group['custom_policy']['name']}"
        assert iam.get_policy(PolicyArn=arn)["Policy"].get("Description", "") == text
    tfvars = json.loads((Path(tmp) / "ws" / "terraform.tfvars.json").read_text())
    assert tfvars["user_tags"] == tags
