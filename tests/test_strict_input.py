"""What tfiam accepts, AWS accepts: values that look valid but that IAM or Terraform
refuse later (a trailing newline, a Unicode digit, a region that does not exist, two
policies of one name, a quota IAM enforces) are refused at once, naming the field and
the rule; real values that look odd (hyphenated actions, IAM:PassRole, opt-in regions)
go through.  The hostile YAML cases are in test_answers_yaml.py."""

from __future__ import annotations

import pytest
import yaml

from tests.test_answers import STMT, base, problems, with_
from tfiam_tui.engine import answers as A

POLICY = "permissions.groups[0].custom_policy"


def statement(**changes) -> dict:
    return {"effect": "Allow", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"], **changes}


def groups(*names: str, **extra) -> list[dict]:
    return [{"name": n, **extra} for n in names]


HOSTILE = [
    # (path, value, field named, words of the rule)
    ("provider.region", "eu-moon-1", "provider.region", "TFIAM_EXTRA_REGIONS"),
    ("provider.region", "eu-centrl-1", "provider.region", "did you mean eu-central-1?"),
    ("provider.region", "eu-central-1\n", "provider.region", "not an AWS region"),
    ("user.path", "/ci/\n", "user.path", "not an IAM path"),
    ("user.permissions_boundary", "arn:aws:iam::aws:policy/PowerUserAccess\n", "user.permissions_boundary",
     "not a policy ARN"),
    ("user.permissions_boundary", "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:policy/b", "user.permissions_boundary",
     "not a policy ARN"),  # Arabic-Indic digits: \d matched them
    ("user.permissions_boundary", "arn:aws:iam::aws:policy/ViewOnlyAccess", "user.permissions_boundary",
     "did you mean arn:aws:iam::aws:policy/job-function/ViewOnlyAccess?"),
    ("user.permissions_boundary", "arn:aws:iam::aws:policy/PowerUserAcess", "user.permissions_boundary",
     "did you mean arn:aws:iam::aws:policy/PowerUserAccess?"),
    ("provider.endpoint", "http://127.0.0.1:5000\n", "provider.endpoint", "control character"),
    ("provider.endpoint", "http://127.0.0.1:5000/moto", "provider.endpoint", "has a path"),
    ("provider.endpoint", "http://user:pw@127.0.0.1:5000", "provider.endpoint", "password"),
    ("provider.endpoint", "http://127.0.0.1:99999", "provider.endpoint", "not a URL"),
    ("provider.terraform_version", ">=\u00a01.6.0", "provider.terraform_version", "version constraint"),
    ("provider.terraform_version", ">= 1.6.0\n", "provider.terraform_version", "version constraint"),
    ("provider.terraform_version", ">= ١.6", "provider.terraform_version", "version constraint"),
    ("provider.profile", "ops\n", "provider.profile", "control character"),
    ("user.tags", {"Owner": "a", "owner": "b"}, "user.tags", "differ only in case"),
    ("workspace", "ws\x00evil", "workspace", "NUL"),
    ("workspace", "a/" + "x" * 256, "workspace", "255"),
    ("workspace", "ws\n", "workspace", "control character"),
    (f"{STMT}.resources", ["arn:"], f"{STMT}.resources[0]", "six parts"),
    (f"{STMT}.resources", ["arn:whatever"], f"{STMT}.resources[0]", "six parts"),
    (f"{STMT}.resources", ["arn:amazon:s3:::b"], f"{STMT}.resources[0]", "not an AWS partition"),
    (f"{STMT}.resources", ["arn:aws:S3:::b"], f"{STMT}.resources[0]", "service namespace"),
    (f"{STMT}.resources", ["arn:aws:s3:::"], f"{STMT}.resources[0]", "resource part is empty"),
    (f"{STMT}.resources", ["arn:aws:ec2:eu-moon-1:123456789012:instance/*"], f"{STMT}.resources[0]",
     "not an AWS region"),
    (f"{STMT}.resources", ["arn:aws:ec2:eu-west-1:12345:instance/*"], f"{STMT}.resources[0]", "12 digits"),
    (f"{STMT}.resources", ["arn:aws:s3:::b/x\n"], f"{STMT}.resources[0]", "Latin-1"),
    (f"{STMT}.resources", ["arn:aws:s3:::b/東"], f"{STMT}.resources[0]", "Latin-1"),
    (f"{STMT}.actions", ["s3:GetObject\n"], f"{STMT}.actions[0]", "not an IAM action"),
    (f"{STMT}.actions", ["s3:Get\u0661"], f"{STMT}.actions[0]", "not an IAM action"),
    (f"{STMT}.sid", "One\n", f"{STMT}.sid", "letters and digits"),
    (f"{POLICY}.statements", [statement(sid="A"), statement(sid="A")], f"{POLICY}.statements[1].sid", "used twice"),
    (f"{POLICY}.statements", [statement(actions=[f"s3:GetObjectVersionTagging{i}" for i in range(250)])],
     f"{POLICY}.statements", "IAM allows 6144"),
    ("permissions.groups[0].managed_policies", ["arn:aws:iam::aws:policy/ReadOnlyAccess"] * 2,
     "permissions.groups[0].managed_policies[1]", "listed twice"),
    ("permissions.user_managed_policies", ["arn:aws:iam::aws:policy/ReadOnlyAccess"] * 2,
     "permissions.user_managed_policies[1]", "listed twice"),
    ("permissions.groups[0].managed_policies", [f"arn:aws:iam::123456789012:policy/p{i}" for i in range(21)],
     "permissions.groups[0].managed_policies", "at most 20"),
    ("permissions.groups", groups(*[f"g{i}" for i in range(11)]), "permissions", "at most 10"),
    ("permissions.groups", [{"name": "a", "custom_policy": {"name": "same", "statements": [statement()]}},
                            {"name": "b", "custom_policy": {"name": "SAME", "statements": [statement()]}}],
     "permissions.groups[1].custom_policy.name", "another custom policy"),
]


@pytest.mark.parametrize("path,value,field,words", HOSTILE, ids=[f"{h[0]}={str(h[1])[:24]!r}" for h in HOSTILE])
def test_looks_valid_but_aws_would_refuse_it(path, value, field, words):
    found = problems(with_(path, value))
    assert any(p.field == field and words in p.message for p in found), found


def enforcing_mfa(data: dict) -> dict:
    data["authentication"] = {"console": True, "enforce_mfa": True, "pgp_key": "op@example.com"}
    return data


def test_the_names_enforce_mfa_creates_are_taken():
    clash = enforcing_mfa(with_("permissions.groups[0].name", "ci-bot-mfa-required"))
    assert "enforce_mfa" in {p.field: p.message for p in problems(clash)}["permissions.groups[0].name"]
    existing = enforcing_mfa(with_("permissions.existing_groups", ["CI-BOT-MFA-REQUIRED"]))
    assert "enforce_mfa" in {p.field: p.message for p in problems(existing)}["permissions.existing_groups[0]"]
    policy = enforcing_mfa(with_(f"{POLICY}.name", "ci-bot-mfa-required"))
    assert "enforce_mfa" in {p.field: p.message for p in problems(policy)}[f"{POLICY}.name"]
    # without enforce_mfa the name is free
    assert A.parse(with_("permissions.groups[0].name", "ci-bot-mfa-required"))


def test_ten_groups_counting_the_mfa_group():
    nine = with_("permissions.groups", groups(*[f"g{i}" for i in range(9)]))
    assert A.parse(nine)  # nine groups; and the tenth is the MFA group:
    assert A.parse(enforcing_mfa(with_("permissions.groups", groups(*[f"g{i}" for i in range(9)]))))
    found = problems(enforcing_mfa(with_("permissions.groups", groups(*[f"g{i}" for i in range(10)]))))
    assert any("11 groups (enforce_mfa adds one)" in p.message for p in found), found


GENUINE = [
    (f"{STMT}.actions", ["vpc-lattice:AssociateViaAWSService-EventsAndStates"]),
    (f"{STMT}.actions", ["IAM:PassRole", "S3:getobject"]),
    (STMT, statement(actions=["iam:PassRole"], resources=["arn:aws:iam::123456789012:role/${aws:username}-*"])),
    (STMT, statement(resources=["arn:aws:s3:::acme-*/home/${aws:username}/*"])),
    (STMT, statement(actions=["ec2:StartInstances", "logs:PutLogEvents"],
                     resources=["arn:aws:ec2:*:*:instance/*", "arn:*:logs:eu-west-?:123456789012:log-group:a:*"])),
    (STMT, statement(actions=["s3:ListBucket"], resources=["arn:aws-us-gov:s3:::gov-bucket", "arn:aws:s3:::bücket-café"])),
    # wildcards: some action they cover acts on the resource (s3:GetBucketPolicy on a bucket)
    (STMT, statement(actions=["s3:Get*", "s3:*Object"], resources=["arn:aws:s3:::b", "arn:aws:s3:::b/*"])),
    (STMT, statement(actions=["sts:GetCallerIdentity", "s3:GetObject"], resources=["*"])),
    (STMT, statement(actions=["s3:ListBucket", "s3:GetObject"], resources=["arn:aws:s3:::b", "arn:aws:s3:::b/*"])),
    (STMT, statement(actions=["newservice:DoThing", "s3:GetObjectBrandNew"], resources=["arn:aws:s3:::b"])),
    ("provider.region", "ap-east-2"),  # listed in botocore's partitions.json before its endpoints.json
    ("provider.region", "me-central-1"),  # opt-in
    ("provider.endpoint", "https://iam.internal.example:8443/"),
    ("provider.endpoint", "http://[::1]:5000"),
    ("user.permissions_boundary", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"),
    ("user.permissions_boundary", "arn:aws:iam::aws:policy/BrandNewPolicyFrom2027"),  # unknown, nothing close: lint warns
    ("user.tags", {"Owner": "a", "Team": "b"}),
    ("workspace", "../state/ci-bot"),
    ("permissions.groups[0].managed_policies", [f"arn:aws:iam::123456789012:policy/p{i}" for i in range(20)]),
    (f"{POLICY}.statements", [statement(sid="A"), statement(sid="B"), statement()]),
    ("permissions.groups", groups(*[f"g{i}" for i in range(10)])),
]


@pytest.mark.parametrize("path,value", GENUINE, ids=[f"{g[0]}={str(g[1])[:24]!r}" for g in GENUINE])
def test_real_values_that_look_odd_are_accepted(path, value):
    assert A.parse(with_(path, value))


def test_every_catalogued_action_is_accepted():
    from tfiam_tui.engine.policy.catalogue import catalogue

    names = sorted(info.name for info in catalogue()._info.values())
    data = with_(f"{POLICY}.statements", [statement(actions=names[i:i + 900], resources=["*"])
                                          for i in range(0, len(names), 900)])
    found = problems(data)  # the policy is far over 6,144 characters; no action is refused
    assert not [p for p in found if ".actions[" in p.field], found[:3]


def test_a_region_newer_than_botocore_goes_through_when_named(monkeypatch):
    assert problems(with_("provider.region", "xx-new-1"))
    monkeypatch.setenv("TFIAM_EXTRA_REGIONS", "xx-new-1, yy-new-2")
    assert A.parse(with_("provider.region", "xx-new-1")).provider.region == "xx-new-1"


def test_the_policy_size_counts_what_iam_counts():
    from tfiam_tui.engine.answers.limits import MANAGED_POLICY_CHARS, policy_size

    loaded = A.parse(base())
    statements = loaded.permissions.groups[0].custom_policy.statements
    compact = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetCallerIdentity"],"Resource":["*"]}]}'
    assert policy_size(statements) == len(compact)
    # right at the limit is fine, one character over is not
    filler = "arn:aws:s3:::" + "b" * 20 + "/k"
    one = [statement(resources=[filler])]
    size = policy_size(A.parse(with_(f"{POLICY}.statements", one)).permissions.groups[0].custom_policy.statements)
    pad = MANAGED_POLICY_CHARS - size
    exact = [statement(resources=[filler + "x" * pad])]
    assert A.parse(with_(f"{POLICY}.statements", exact))
    over = [statement(resources=[filler + "x" * (pad + 1)])]
    assert problems(with_(f"{POLICY}.statements", over))


@pytest.mark.parametrize("field,value", [("provider.region", "eu-moon-1"), ("user.path", "/ci/\n"),
                                         (f"{STMT}.resources", ["arn:aws:s3:eu-west-1::b"])])
def test_every_front_gets_the_same_message_for_the_same_value(tmp_path, field, value):
    """validate and replay read a file; the wizard's form and ask's prompts check what
    was typed: each names the same field with the same words."""
    from tfiam_tui.ask.fields import problem_for
    from tfiam_tui.tui.form import Form

    data = with_(field, value)
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(A.AnswersError) as from_file:
        A.load(path)
    said = {f"{p.field}: {p.message}" for p in from_file.value.problems}
    [wizard] = [f"{p.field}: {p.message}" for p in Form(data).problems((field,))]
    asked = problem_for(data, field)
    assert wizard in said and asked == wizard
    assert problem_for(base(), field) is None and not Form(base()).problems((field,))


FOUND_BY_THE_PROPERTY_TEST = [
    # what validate accepted and terraform or IAM then refused (tests/test_properties_plan.py)
    ("provider.aws_provider_version", "~> v5.0", "provider.aws_provider_version", "version constraint"),
    ("provider.terraform_version", ">= 1.6.0-beta1", "provider.terraform_version", "version constraint"),
    ("user.tags", {"Owner": "\u2126hm"}, "user.tags.Owner", "NFC"),  # OHM SIGN: Terraform stores Ω
    ("user.tags", {"\uf900": "x"}, "user.tags.\uf900", "NFC"),
    (f"{STMT}.resources", ["arn:aws:iam:eu-west-1:123456789012:user/x"], f"{STMT}.resources[0]", "no region"),
    (f"{STMT}.resources", ["arn:aws:iam::123456789012:bucket/x"], f"{STMT}.resources[0]", "starts with user/"),
    (f"{STMT}.resources", ["arn:aws*:s3:::b"], f"{STMT}.resources[0]", "not an AWS partition"),
    # IAM's MalformedPolicyDocument messages, as moto gives them too:
    (f"{STMT}.resources", ["arn:aws:s3:us-east-1::b"], f"{STMT}.resources[0]", "has no region"),
    (f"{STMT}.resources", ["arn:aws:s3:*::b/*"], f"{STMT}.resources[0]", "has no region"),
    (f"{STMT}.resources", ["arn:aws:iam::123456789012:*/*"], f"{STMT}.resources[0]", "starts with user/"),
    (f"{STMT}.resources", ["arn:aws:iam::123456789012:${aws:username}"], f"{STMT}.resources[0]", "starts with user/"),
    (f"{STMT}.resources", ["arn:aws:iam::123456789012:?ser/x"], f"{STMT}.resources[0]", "starts with user/"),
    (f"{STMT}.resources", ["arn:${aws:partition}:s3:::b"], f"{STMT}.resources[0]", "not an AWS partition"),
]


@pytest.mark.parametrize("path,value,field,words", FOUND_BY_THE_PROPERTY_TEST,
                         ids=[f"{h[0]}={str(h[1])[:24]!r}" for h in FOUND_BY_THE_PROPERTY_TEST])
def test_what_terraform_or_iam_refused_after_validate_is_refused_by_validate(path, value, field, words):
    found = problems(with_(path, value))
    assert any(p.field == field and words in p.message for p in found), found


def test_policy_arns_must_be_in_the_regions_partition():
    data = with_("provider.region", "cn-north-1")
    found = {p.field: p.message for p in problems(data)}  # base() attaches arn:aws:...:PowerUserAccess
    assert "use arn:aws-cn:iam::aws:policy/PowerUserAccess" in found["permissions.groups[0].managed_policies[0]"]
    data["permissions"]["groups"][0]["managed_policies"] = ["arn:aws-cn:iam::aws:policy/PowerUserAccess"]
    assert A.parse(data).provider.region == "cn-north-1"


def test_iam_arns_that_iam_accepts():
    for arn in ("arn:aws:iam::123456789012:role/${aws:username}", "arn:aws:iam::*:user/*", "arn:aws:iam::123456789012:*"):
        assert A.parse(with_(STMT, statement(actions=["iam:Get*"], resources=[arn])))


def test_s3_arns_that_live_in_a_region_keep_it():
    for arn in ("arn:aws:s3:eu-west-1:123456789012:accesspoint/ap-*", "arn:aws:s3:us-east-1:123456789012:job/*",
                "arn:aws:s3:*:123456789012:storage-lens/*", "arn:aws:s3:::b/*", "arn:aws:s3:::*"):
        assert A.parse(with_(STMT, statement(actions=["s3:*"], resources=[arn])))


MISMATCHED = [
    # (actions, resources, the action named, words): every resource is of another service
    # than any the action acts on; IAM takes the policy and grants nothing
    (["s3:GetObject"], ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"], 0, "acts only on resources of s3"),
    (["s3:GetObject", "kms:Decrypt"], ["arn:aws:s3:::b/*", "arn:aws:s3:::c/*"], 1, "resources of kms"),
    (["sts:AssumeRole"], ["arn:aws:sts::123456789012:role/x"], 0, "arn:${Partition}:iam::${Account}:role/"),
    (["s3:Put*Object*"], ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"], 0, "s3 or s3-object-lambda"),
]


@pytest.mark.parametrize("actions,resources,index,words", MISMATCHED, ids=[str(m[0]) for m in MISMATCHED])
def test_an_action_whose_resources_are_all_of_another_service_is_refused(actions, resources, index, words):
    found = problems(with_(STMT, statement(actions=actions, resources=resources)))
    assert [p.field for p in found] == [f"{STMT}.actions[{index}]"], found
    assert words in found[0].message and "never granted" in found[0].message


def test_a_deny_that_can_never_apply_is_refused_too():
    [found] = problems(with_(STMT, statement(effect="Deny", actions=["s3:DeleteBucket"],
                                             resources=["arn:aws:sqs:eu-west-1:123456789012:q"])))
    assert "never denied" in found.message


def test_finer_mismatches_are_left_to_the_linter():
    """A bucket for s3:GetObject is TFIAM044's (AWS may have added a resource type since
    tfiam's data); the answers still load."""
    assert A.parse(with_(STMT, statement(actions=["s3:GetObject"], resources=["arn:aws:s3:::b"])))
    assert A.parse(with_(STMT, statement(actions=["s3:GetObject"], resources=["arn:aws:*:::b/*"])))


def test_a_description_with_a_yaml_line_break_survives_a_save():
    """U+0085 is Latin-1 to IAM, U+2028 and U+2029 are spaces in a tag; YAML reads all
    three as line breaks, even inside quotes."""
    text = "one\x85two\nthree"
    data = with_(f"{POLICY}.description", text)
    data["user"]["tags"]["Team"] = "a\u2028b\u2029c"
    saved = A.loads(A.dumps(A.parse(data)))
    assert saved.permissions.groups[0].custom_policy.description == text
    assert saved.user.tags["Team"] == "a\u2028b\u2029c"
