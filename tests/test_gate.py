"""The destroy gate, credentials that survive a changed PGP key export, and the reviewed
plan being the applied plan: with the real tfiam, terraform and provider against moto."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures_gpg import discard_home, gpg_cli, make_home, new_key
from tests.test_e2e import answers_file, iam, run_tfiam
from tfiam_tui.engine import answers as answers_mod
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.engine.pipeline import Pipeline
from tfiam_tui.engine.pipeline.plans import PlanChanged
from tfiam_tui.engine.pipeline.review import Decision, PlanReview, classify, decide
from tfiam_tui.engine.terraform.events import run_to_end

pytestmark = pytest.mark.e2e

KEY = "module.iam_user.aws_iam_access_key.this[0]"


def _rc(address: str, kind: str, actions: list[str], before: dict | None, after: dict | None) -> dict:
    return {"address": address, "mode": "managed", "type": kind,
            "change": {"actions": actions, "before": before, "after": after}}


@pytest.mark.parametrize(("rc", "words"), [
    (_rc(KEY, "aws_iam_access_key", ["delete"], {"id": "AKIAOLD", "user": "bob"}, None),
     "access key AKIAOLD of bob will be deleted: whatever uses it stops working"),
    (_rc(KEY, "aws_iam_access_key", ["delete", "create"], {"id": "AKIAOLD", "user": "bob"}, {"user": "bob"}),
     "access key AKIAOLD of bob will be deleted and a new one created"),
    (_rc(KEY, "aws_iam_access_key", ["update"], {"id": "AKIAOLD", "user": "bob", "status": "Active"},
         {"id": "AKIAOLD", "user": "bob", "status": "Inactive"}),
     "access key AKIAOLD of bob will be deactivated"),
    (_rc("module.iam_user.aws_iam_user.this", "aws_iam_user", ["update"], {"name": "user-a", "path": "/"},
         {"name": "user-b", "path": "/"}),
     "user user-a will be renamed to user-b"),
    (_rc("module.iam_user.aws_iam_user.this", "aws_iam_user", ["update"], {"name": "bob", "path": "/"},
         {"name": "bob", "path": "/people/"}),
     "user bob moves from path / to /people/"),
    (_rc("module.iam_user.aws_iam_user_group_membership.this[0]", "aws_iam_user_group_membership", ["update"],
         {"user": "bob", "groups": ["a", "admins"]}, {"user": "bob", "groups": ["a"]}),
     "user bob leaves group(s) admins"),
    (_rc('module.iam_user.aws_iam_group.this["g"]', "aws_iam_group", ["delete"], {"name": "g"}, None),
     "group g will be deleted: every member, not only this user, loses its permissions"),
    (_rc("module.iam_user.aws_iam_user_login_profile.this[0]", "aws_iam_user_login_profile",
         ["create", "delete"], {"user": "bob"}, {"user": "bob"}),
     "console password of bob will be replaced: the current password stops working"),
    (_rc("aws_s3_bucket.data", "aws_s3_bucket", ["delete"], {"bucket": "acme"}, None),
     "aws_s3_bucket.data (aws_s3_bucket) will be deleted"),
])
def test_dangerous_changes_are_named_in_words(rc, words):
    (change,) = classify({"resource_changes": [rc]})
    assert change.dangerous and words in change.meaning


def test_harmless_changes_are_not_gated_and_dangers_come_first():
    plan = {"resource_changes": [
        _rc("module.iam_user.aws_iam_user.this", "aws_iam_user", ["update"],
            {"name": "bob", "path": "/", "tags": {"Owner": "a"}}, {"name": "bob", "path": "/", "tags": {"Owner": "b"}}),
        _rc('module.iam_user.aws_iam_group.this["new"]', "aws_iam_group", [], None, None) | {"change": {"actions": ["create"]}},
        _rc("module.iam_user.aws_iam_user_group_membership.this[0]", "aws_iam_user_group_membership", ["update"],
            {"user": "bob", "groups": ["a"]}, {"user": "bob", "groups": ["a", "new"]}),
        _rc(KEY, "aws_iam_access_key", ["delete"], {"id": "AKIAOLD", "user": "bob"}, None),
        {"address": "data.aws_caller_identity.x", "mode": "data", "type": "x", "change": {"actions": ["read"]}},
    ]}
    changes = classify(plan)
    assert [c.address for c in changes if c.dangerous] == [KEY]
    assert changes[0].address == KEY and len(changes) == 4
    review = PlanReview(changes)
    assert decide(review, auto_approve=True, allow_destroy=False, terminal=False) is Decision.REFUSE_DANGER
    assert decide(review, auto_approve=True, allow_destroy=True, terminal=False) is Decision.APPLY
    assert decide(review, auto_approve=False, allow_destroy=True, terminal=True) is Decision.TYPE_NAME
    assert decide(review, auto_approve=False, allow_destroy=False, terminal=False) is Decision.REFUSE_NO_TERMINAL
    # a lifecycle step's own purpose is confirmed by that step, not gated twice
    assert decide(review, auto_approve=True, allow_destroy=False, terminal=False, purpose=[KEY]) is Decision.APPLY
    harmless = PlanReview([c for c in changes if not c.dangerous])
    assert decide(harmless, auto_approve=True, allow_destroy=False, terminal=False) is Decision.APPLY
    assert decide(harmless, auto_approve=False, allow_destroy=False, terminal=True) is Decision.CONFIRM


def test_auto_approve_refuses_a_delete_until_allow_destroy(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name = f"gate-{uuid.uuid4().hex[:8]}"
    groups = [{"name": f"{name}-keep"}, {"name": f"{name}-drop"}]
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name, permissions__groups=groups)
    first = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert first.returncode == Exit.OK, first.stdout + first.stderr
    assert "DANGER" not in first.stdout  # creating is not dangerous

    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name, permissions__groups=groups[:1])
    refused = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert refused.returncode == Exit.REFUSED, refused.stdout + refused.stderr
    out = refused.stdout
    assert out.index("DANGER: this plan deletes") < out.index("\nPlan: 0 to add")  # dangers first, then the summary
    assert f"group {name}-drop will be deleted: every member, not only this user, loses its permissions" in out
    assert f"user {name} leaves group(s) {name}-drop" in out
    assert "--auto-approve --allow-destroy" in refused.stderr and "nothing was applied" in refused.stderr
    assert "terraform apply" not in out
    client = iam(moto_endpoint)
    assert {g["GroupName"] for g in client.list_groups_for_user(UserName=name)["Groups"]} == {g["name"] for g in groups}
    assert not list((tmp_path / "ws").rglob("*.tfplan"))  # the refused plan is not left to be applied

    allowed = run_tfiam("replay", str(answers), "--auto-approve", "--allow-destroy", "--plugin-dir", tf_plugin_dir)
    assert allowed.returncode == Exit.OK, allowed.stdout + allowed.stderr
    assert [g["GroupName"] for g in client.list_groups_for_user(UserName=name)["Groups"]] == [f"{name}-keep"]


@pytest.fixture
def own_keyring():
    """A keyring of this test's own (the session keyring must not change)."""
    home = make_home()
    try:
        yield home
    finally:
        discard_home(home)


def test_a_changed_key_export_never_replaces_the_access_key(tmp_path, moto_endpoint, own_keyring, tf_plugin_dir):
    """A new UID, and then another admin's keyring with a different key for the same e-mail:
    the live key stays; the second admin is told the secret is encrypted to another key."""
    new_key(own_keyring, "Rota <rota@example.com>", "rsa3072", "rsa3072")
    name = f"pgp-{uuid.uuid4().hex[:8]}"
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                           permissions__groups=[{"name": f"{name}-g"}], authentication__pgp_key="rota@example.com")
    env = {"GNUPGHOME": own_keyring}
    first = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir, env=env)
    assert first.returncode == Exit.OK, first.stdout + first.stderr
    client = iam(moto_endpoint)
    (key_id,) = [k["AccessKeyId"] for k in client.list_access_keys(UserName=name)["AccessKeyMetadata"]]

    gpg_cli(own_keyring, "--quick-add-uid", "rota@example.com", "Rota Second <rota2@example.com>")
    again = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir, env=env)
    assert again.returncode == Exit.OK, again.stdout + again.stderr
    assert "No changes." in again.stdout and "note: the stored" not in again.stdout
    assert [k["AccessKeyId"] for k in client.list_access_keys(UserName=name)["AccessKeyMetadata"]] == [key_id]

    other_admin = make_home()
    try:
        other_fpr = new_key(other_admin, "Rota <rota@example.com>", "rsa3072", "rsa3072")
        theirs = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir,
                           env={"GNUPGHOME": other_admin})
    finally:
        discard_home(other_admin)
    assert theirs.returncode == Exit.OK, theirs.stdout + theirs.stderr
    assert "No changes." in theirs.stdout
    assert "note: the stored access key secret is encrypted to key ID" in theirs.stdout
    assert f"not to the key the answers name now ({other_fpr}" in theirs.stdout
    assert [k["AccessKeyId"] for k in client.list_access_keys(UserName=name)["AccessKeyMetadata"]] == [key_id]


def _pipeline(tmp_path, moto_endpoint, tf_plugin_dir, name: str, **changes) -> Pipeline:
    path = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                        permissions__groups=[{"name": f"{name}-g", **changes}], authentication__access_key=False)
    pipeline = Pipeline(answers_mod.load(path), tmp_path / "ws", plugin_dir=tf_plugin_dir,
                        extra_env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    pipeline.check()
    pipeline.prepare()
    return pipeline


def test_each_run_applies_its_own_reviewed_plan(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    """Run 1 plans and waits at its prompt; run 2 plans an extra policy into the same
    workspace.  Run 1 then applies what it showed, not run 2's plan."""
    name = f"plans-{uuid.uuid4().hex[:8]}"
    first = _pipeline(tmp_path, moto_endpoint, tf_plugin_dir, name)
    assert run_to_end(first.init()).ok and run_to_end(first.plan()).ok
    second = _pipeline(tmp_path, moto_endpoint, tf_plugin_dir, name,
                       managed_policies=["arn:aws:iam::aws:policy/AmazonS3FullAccess"])
    assert run_to_end(second.plan()).ok
    assert first.plan_file != second.plan_file
    assert first.plan_file is not None
    own_plan = tmp_path / "ws" / first.plan_file
    assert run_to_end(first.apply()).ok
    group = f"{name}-g"
    assert iam(moto_endpoint).list_attached_group_policies(GroupName=group)["AttachedPolicies"] == []
    assert not own_plan.exists()  # applied plans are removed
    second.discard_plan()
    assert not list((tmp_path / "ws").rglob("*.tfplan"))


def test_a_plan_file_changed_after_review_is_refused(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name = f"tamper-{uuid.uuid4().hex[:8]}"
    pipeline = _pipeline(tmp_path, moto_endpoint, tf_plugin_dir, name)
    assert run_to_end(pipeline.init()).ok and run_to_end(pipeline.plan()).ok
    assert pipeline.plan_file is not None
    plan = tmp_path / "ws" / pipeline.plan_file
    plan.write_bytes(plan.read_bytes() + b"\0")
    with pytest.raises(PlanChanged, match="changed after it was shown"):
        run_to_end(pipeline.apply())
    with pytest.raises(iam(moto_endpoint).exceptions.NoSuchEntityException):
        iam(moto_endpoint).get_user(UserName=name)


def test_finishing_an_interrupted_apply_is_not_a_new_danger():
    """A resource the interrupted apply created but did not finish is left tainted; the
    next plan replaces it.  That finishes what was approved, unless it was not that apply's."""
    group = 'module.iam_user.aws_iam_group.this["g"]'
    tainted = _rc(group, "aws_iam_group", ["delete", "create"], {"name": "g"}, {"name": "g"})
    tainted["action_reason"] = "replace_because_tainted"
    (finishing,) = classify({"resource_changes": [tainted]}, finishing=[group])
    assert not finishing.dangerous and "left half-made by the interrupted apply" in finishing.meaning
    (other,) = classify({"resource_changes": [tainted]}, finishing=['module.iam_user.aws_iam_group.this["h"]'])
    assert other.dangerous  # tainted, but not by the apply that was interrupted
    untainted = _rc(group, "aws_iam_group", ["delete", "create"], {"name": "g"}, {"name": "g"})
    (replaced,) = classify({"resource_changes": [untainted]}, finishing=[group])
    assert replaced.dangerous  # a replace for any other reason is still gated
