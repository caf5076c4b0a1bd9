"""The workspace holds only tfiam's files when terraform plans, not only when tfiam writes.

A file terraform reads on its own (``*.tf``, ``*_override.tf``, ``*.auto.tfvars``, in the
root or in the module folder) dropped in after tfiam wrote the workspace would be
planned and applied with tfiam's, unseen by the linter.  The ownership check runs again
right before ``terraform plan``: what replay calls, in replay's order, after a real
write and a real ``terraform init``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures_moto import SANDBOX_REGION, unique_name
from tfiam_tui.engine.answers import AnswersError, parse
from tfiam_tui.engine.aws.sandbox import Sandbox
from tfiam_tui.engine.pipeline.steps import Pipeline
from tfiam_tui.engine.terraform.events import Finished, run_to_end

PLANTED = [
    "extra.tf",
    "extra.tf.json",
    "main_override.tf",
    "main_override.tf.json",
    "terraform.tfvars",
    "admin.auto.tfvars",
    "admin.auto.tfvars.json",
    "main.tofu",
    "main.tofu.json",
    "modules/iam-user/extra.tf",
    "modules/iam-user/main_override.tf",
    "modules/iam-user/main_override.tf.json",
    "modules/iam-user/extra.tofu",
]
CONTENT = {
    ".tf": b'resource "aws_iam_user_policy" "x" {\n  user   = "x"\n  policy = "{}"\n}\n',
    ".json": b"{}\n",
    ".tfvars": b'user_name = "someone-else"\n',
    ".tofu": b"# read by OpenTofu\n",
}


def _content(name: str) -> bytes:
    return next(v for k, v in CONTENT.items() if name.endswith(k))


@pytest.fixture(scope="module")
def planned(tmp_path_factory, moto_endpoint, tf_plugin_dir) -> Pipeline:
    """A workspace written, initialised and planned as replay does, with nothing planted."""
    answers = parse({
        "version": 1,
        "provider": {"region": SANDBOX_REGION, "endpoint": moto_endpoint},
        "user": {"name": unique_name("planner")},
        "permissions": {"groups": [{"name": unique_name("readers"),
                                    "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}]},
    })
    ws = tmp_path_factory.mktemp("plan") / "ws"
    pipeline = Pipeline(answers, ws, plugin_dir=tf_plugin_dir, extra_env=dict(Sandbox.env()), sandbox=True)
    pipeline.check()
    pipeline.prepare()
    assert run_to_end(pipeline.init(), check=False).ok
    pipeline.recover()
    finished = run_to_end(pipeline.plan(), check=False)
    assert isinstance(finished, Finished) and finished.ok, "tfiam's own workspace must plan"
    assert pipeline.summary is not None and pipeline.summary.has_changes
    pipeline.discard_plan()
    return pipeline


@pytest.mark.parametrize("planted", PLANTED)
def test_a_terraform_file_planted_after_the_write_stops_the_plan_before_terraform_runs(planted, planned):
    ws: Path = planned.workspace_dir
    target = ws / planted
    target.write_bytes(_content(planted))
    try:
        plans_before = sorted((ws / ".tfiam" / "plans").glob("*")) if (ws / ".tfiam" / "plans").exists() else []
        with pytest.raises(AnswersError) as exc:
            next(planned.plan())
        problem = exc.value.problems[0]
        assert problem.field == "workspace"  # exit 3 (commands/cli.report)
        assert planted in problem.message and "tfiam did not write" in problem.message
        now = sorted((ws / ".tfiam" / "plans").glob("*")) if (ws / ".tfiam" / "plans").exists() else []
        assert now == plans_before, "terraform planned anyway"
        assert planned.plan_file is None

        # The same refusal when the workspace is written again and nothing in it changes.
        with pytest.raises(AnswersError) as again:
            planned.prepare()
        assert planted in again.value.problems[0].message
        assert target.read_bytes() == _content(planted)  # someone's file: reported, never touched
    finally:
        target.unlink()
