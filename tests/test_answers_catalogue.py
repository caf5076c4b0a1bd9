"""What ``validate`` accepts, IAM accepts, and the other way round (issue 16, item 6): every
action in the catalogue is a valid answer, spelt as AWS spells it or with the service
prefix in any case (IAM matches prefixes case-insensitively); what is not an action is not."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from tfiam_tui.engine.answers.rules import Action
from tfiam_tui.engine.policy.catalogue import catalogue

ACTION = TypeAdapter(Action)


def test_every_action_in_the_catalogue_is_a_valid_answer():
    cat = catalogue()
    actions = [a for prefix in cat.services for a in cat.actions_of(prefix)]
    assert len(actions) > 20_000
    refused = []
    for action in actions:
        try:
            ACTION.validate_python(action)
        except ValidationError as exc:
            refused.append(f"{action}: {exc.errors()[0]['msg']}")
    assert refused == []


@pytest.mark.parametrize("action", ["S3:GetObject", "EC2:DescribeInstances", "Sts:GetCallerIdentity", "s3:get*"])
def test_a_service_prefix_in_any_case_is_accepted(action):
    assert ACTION.validate_python(action) == action


# A well-formed action the catalogue does not know (s3:GetObjekt) is the linter's: an error
# with a did-you-mean, which stops replay (tests/test_lint.py).  Here: not an action at all.
@pytest.mark.parametrize("action", ["s3 GetObject", "s3:Get:Object", "s3:", ":GetObject", ""])
def test_what_is_no_action_at_all_is_refused(action):
    with pytest.raises(ValidationError):
        ACTION.validate_python(action)
