"""The answers file: every rule, good and bad, with the field path and rule in the message."""

from __future__ import annotations

import copy
from pathlib import Path

import pydantic
import pytest
import yaml

from tfiam_tui.engine import answers as A

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def base() -> dict:
    return {
        "version": 1,
        "provider": {"region": "eu-central-1"},
        "user": {"name": "ci-bot", "tags": {"Owner": "platform"}},
        "permissions": {
            "groups": [
                {
                    "name": "ci-group",
                    "managed_policies": ["arn:aws:iam::aws:policy/PowerUserAccess"],
                    "custom_policy": {
                        "name": "ci-policy",
                        "description": "d",
                        "statements": [
                            {"effect": "Allow", "actions": ["sts:GetCallerIdentity"], "resources": ["*"]}
                        ],
                    },
                }
            ]
        },
        "authentication": {"access_key": True, "pgp_key": "op@example.com"},
    }


def with_(path: str, value):
    """base() with the value at a dotted path (``[n]`` for list items) replaced."""
    data = base()
    node = data
    parts = path.replace("[", ".[").split(".")
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node.setdefault(part, {})
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return data


def problems(data) -> list[A.Problem]:
    with pytest.raises(A.AnswersError) as exc:
        A.parse(data)
    return exc.value.problems


STMT = "permissions.groups[0].custom_policy.statements[0]"
S3 = {"type": "s3", "bucket": "acme-tfstate", "key": "iam/users/ci-bot.tfstate"}

BAD = [
    # (path to set, value, expected field in the error, words the message must contain)
    ("user.name", "x" * 65, "user.name", "65 characters"),
    ("user.name", "ci bot", "user.name", "has a space"),
    ("user.name", "ci/bot", "user.name", "'/'"),
    ("user.name", "", "user.name", "is empty"),
    ("user.path", "engineering", "user.path", "starts and ends with '/'"),
    ("user.path", "/a b/", "user.path", "without spaces"),
    ("user.path", "/" + "a" * 511 + "/", "user.path", "512"),
    ("user.tags", {f"k{i}": "v" for i in range(51)}, "user.tags", "at most 50"),
    ("user.tags", {"k" * 129: "v"}, "user.tags." + "k" * 129, "1-128"),
    ("user.tags", {"Owner": "a$b"}, "user.tags.Owner", "'$'"),
    ("user.tags", {"Owner": "{x}"}, "user.tags.Owner", "'{'"),
    ("user.tags", {"Owner": 'say "hi"'}, "user.tags.Owner", "'\"'"),
    ("user.tags", {"Owner": "v" * 257}, "user.tags.Owner", "0-256"),
    ("user.tags", {"aws:createdBy": "me"}, "user.tags.aws:createdBy", "reserved for AWS"),
    ("user.tags", {"Cost": 12}, "user.tags.Cost", "not a string"),
    ("user.permissions_boundary", "PowerUserAccess", "user.permissions_boundary", "not a policy ARN"),
    ("provider.region", "eu-central", "provider.region", "not an AWS region"),
    ("provider.region", "EU-CENTRAL-1", "provider.region", "not an AWS region"),
    ("provider.terraform_version", "latest", "provider.terraform_version", "version constraint"),
    ("provider.endpoint", "localhost:5000", "provider.endpoint", "not a URL"),
    ("permissions.groups[0].name", "g" * 129, "permissions.groups[0].name", "1-128"),
    ("permissions.groups[0].managed_policies", ["arn:aws:iam::aws:policy"],
     "permissions.groups[0].managed_policies[0]", "not a policy ARN"),
    ("permissions.groups[0].custom_policy.name", "p p", "permissions.groups[0].custom_policy.name", "IAM policy names"),
    ("permissions.groups[0].custom_policy.description", "d" * 1001,
     "permissions.groups[0].custom_policy.description", "at most 1000"),
    ("permissions.groups[0].custom_policy.statements", [],
     "permissions.groups[0].custom_policy.statements", "at least one statement"),
    ("permissions.groups[0].custom_policy.description", "東京", "permissions.groups[0].custom_policy.description", "Latin-1"),
    (f"{STMT}.effect", "allow", f"{STMT}.effect", "'Allow' or 'Deny'"),
    (f"{STMT}.actions", ["GetObject"], f"{STMT}.actions[0]", "service:Action"),
    (f"{STMT}.actions", [], f"{STMT}.actions", "at least one action"),
    (f"{STMT}.resources", ["bucket"], f"{STMT}.resources[0]", "ARN"),
    ("permissions.existing_groups", ["ci-group"], "permissions", "listed twice"),
    ("permissions.user_managed_policies", ["arn:aws:iam:policy/x"], "permissions.user_managed_policies[0]", "not a policy ARN"),
    ("authentication.pgp_key", None, "authentication.pgp_key", "plaintext in state is not an option"),
    ("authentication.password_length", 4, "authentication.password_length", "8-128"),
    ("authentication.console", "yes", "authentication.console", "true or false"),
    ("version", 2, "version", "version: 1"),
    ("backend", {"type": "consul"}, "backend.type", "'local' or 's3'"),
    ("backend", "s3", "backend", "with a type"),
    ("backend", {"type": "local", "bucket": "x"}, "backend.bucket", "set type: s3"),
    ("backend", {"type": "s3", "key": "k"}, "backend.bucket", "is required"),
    ("backend", {"type": "s3", "bucket": "b-1"}, "backend.key", "is required"),
    ("backend", {**S3, "bucket": "Acme-State"}, "backend.bucket", "uppercase"),
    ("backend", {**S3, "bucket": "ab"}, "backend.bucket", "2 characters long"),
    ("backend", {**S3, "bucket": "acme_state"}, "backend.bucket", "'_'"),
    ("backend", {**S3, "bucket": "-acme"}, "backend.bucket", "start and end with a letter or digit"),
    ("backend", {**S3, "bucket": "acme..state"}, "backend.bucket", "two adjacent dots"),
    ("backend", {**S3, "bucket": "10.0.0.1"}, "backend.bucket", "IP address"),
    ("backend", {**S3, "bucket": "xn--acme"}, "backend.bucket", "reserves"),
    ("backend", {**S3, "key": "/iam/ci.tfstate"}, "backend.key", "starts or ends with '/'"),
    ("backend", {**S3, "key": "iam//ci.tfstate"}, "backend.key", "'//'"),
    ("backend", {**S3, "key": "iam/../ci.tfstate"}, "backend.key", "'..'"),
    ("backend", {**S3, "key": "iam/\tci"}, "backend.key", "control character"),
    ("backend", {**S3, "key": "k" * 1025}, "backend.key", "1024 bytes"),
    ("backend", {**S3, "region": "eu-central"}, "backend.region", "not an AWS region"),
    ("backend", {**S3, "encrypt": False}, "backend.encrypt", "false is rejected"),
    ("backend", {**S3, "kms_key_id": "my-key"}, "backend.kms_key_id", "not a KMS key"),
    ("backend", {**S3, "dynamodb_table": "t"}, "backend.dynamodb_table", "3-255"),
    ("backend", {**S3, "use_lockfile": False}, "backend.use_lockfile", "nothing would lock the state"),
    ("backend", {**S3, "buckett": "x"}, "backend.buckett", "did you mean 'bucket'?"),
    ("backend", {**S3, "profile": ""}, "backend.profile", "is empty"),
    ("user", ["ci-bot"], "user", "a map"),
]


@pytest.mark.parametrize("path,value,field,words", BAD, ids=[f"{b[0]}={str(b[1])[:20]}" for b in BAD])
def test_bad_value_names_field_and_rule(path, value, field, words):
    found = problems(with_(path, value))
    assert any(p.field == field and words in p.message for p in found), found


def test_unknown_key_suggests_the_right_one():
    data = base()
    data["user"]["nmae"] = "x"
    data["provider"]["regoin"] = "eu-west-1"
    found = {p.field: p.message for p in problems(data)}
    assert "did you mean 'name'?" in found["user.nmae"]
    assert "did you mean 'region'?" in found["provider.regoin"]


def test_every_problem_is_reported_at_once():
    data = with_("user.name", "ci bot")
    data["provider"]["region"] = "nowhere"
    data["permissions"]["groups"][0]["custom_policy"]["statements"][0]["effect"] = "allow"
    fields = {p.field for p in problems(data)}
    assert {"user.name", "provider.region", f"{STMT}.effect"} <= fields


@pytest.mark.parametrize(
    "path,value",
    [
        ("user.name", "a" * 64),
        ("user.name", "ci+bot=1,x.y@z_w-v"),
        ("user.path", "/engineering/ci/"),
        ("user.tags", {"Owner": "Zoë", "Purpose": "東京 deploys", "Ref": "a_b.c:d/e=f+g-h@i", "Empty": ""}),
        ("user.tags", {f"k{i}": "v" for i in range(50)}),
        ("user.permissions_boundary", "arn:aws:iam::123456789012:policy/boundaries/dev-boundary"),
        ("provider.region", "ap-southeast-4"),
        ("provider.terraform_version", ">= 1.6.0, < 2.0.0"),
        ("provider.endpoint", "http://127.0.0.1:5000"),
        (f"{STMT}.actions", ["s3:Get*", "ec2:Describe?nstances", "*"]),
        (STMT, {"effect": "Allow", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::acme-home/${aws:username}/*"]}),
        (f"{STMT}.effect", "Deny"),
        ("permissions.groups[0].custom_policy.description", 'x" } resource "null" "y" { ${path.cwd} %{if true}'),
        ("authentication", {"access_key": False, "console": False}),
        ("backend", {}),
        ("backend", S3),
        ("backend", {**S3, "bucket": "acme.tfstate-2024", "key": "iam/users/Zoë ci.tfstate", "region": "us-gov-west-1"}),
        ("backend", {**S3, "kms_key_id": "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}),
        ("backend", {**S3, "kms_key_id": "alias/tfstate"}),
        ("backend", {**S3, "use_lockfile": False, "dynamodb_table": "tf-locks", "profile": "state-admin"}),
    ],
)
def test_good_values_load(path, value):
    assert A.parse(with_(path, value))


def test_s3_backend_defaults_and_the_dynamodb_deprecation_note():
    backend = A.parse(with_("backend", S3)).backend
    assert isinstance(backend, A.S3Backend)
    assert (backend.region, backend.encrypt, backend.use_lockfile, backend.dynamodb_table, backend.profile) == (
        None, True, True, None, None)
    assert backend.notes() == []
    legacy = A.parse(with_("backend", {**S3, "dynamodb_table": "tf-locks"})).backend
    assert "deprecated" in legacy.notes()[0] and "use_lockfile" in legacy.notes()[0]
    assert isinstance(A.parse(base()).backend, A.LocalBackend)
    loaded = A.parse(with_("backend", {**S3, "dynamodb_table": "tf-locks"}))
    assert A.loads(A.dumps(loaded)) == loaded


def test_dates_stay_text_and_round_trip():
    text = yaml.safe_dump(base()).replace("Owner: platform", "Owner: platform\n    Expiry: 2027-06-30")
    loaded = A.loads(text)
    assert loaded.user.tags["Expiry"] == "2027-06-30"
    assert A.loads(A.dumps(loaded)) == loaded


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_load_and_round_trip_exactly(example):
    loaded = A.load(example)
    again = A.loads(A.dumps(loaded))
    assert again == loaded
    assert A.dumps(again) == A.dumps(loaded)


def test_the_schema_has_no_place_for_a_secret():
    """No key of the answers file can hold a password, secret key or passphrase."""
    schema = str(A.Answers.model_json_schema())
    for word in ("'password'", "secret", "passphrase", "private"):
        assert word not in schema.lower()


@pytest.mark.parametrize(
    "content,words",
    [
        (b"version: 1\nuser: [\n", "not valid YAML: line"),
        (b"version: 1\nversion: 1\n", "duplicate key 'version'"),
        (b"", "is empty"),
        (b"- a\n- b\n", "is a list"),
        (b"\xff\xfeversion: 1", "not UTF-8"),
    ],
)
def test_unreadable_files(tmp_path, content, words):
    f = tmp_path / "answers.yaml"
    f.write_bytes(content)
    with pytest.raises(A.AnswersError) as exc:
        A.load(f)
    assert words in str(exc.value)


def test_directory_is_not_an_answers_file(tmp_path):
    with pytest.raises(A.AnswersError, match="is a directory"):
        A.load(tmp_path)


def test_workspace_is_relative_to_the_answers_file(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    loaded = A.parse({**base(), "workspace": "./ws"})
    assert A.workspace_dir(loaded, tmp_path / "conf" / "a.yaml") == tmp_path / "conf" / "ws"
    assert A.workspace_dir(loaded, tmp_path / "a.yaml", override="../elsewhere") == tmp_path / "elsewhere"
    unnamed = A.parse(base())
    assert A.workspace_dir(unnamed, tmp_path / "a.yaml") == tmp_path / "tfiam-ci-bot"


def test_answers_are_immutable():
    loaded = A.parse(copy.deepcopy(base()))
    with pytest.raises(pydantic.ValidationError):
        loaded.user.name = "other"  # type: ignore[misc]
