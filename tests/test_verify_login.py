"""The console password's PasswordResetRequired: the sandbox keeps it as created, and
verification compares it with the answers while the password was never used."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest

from tests.fixtures_moto import SANDBOX_REGION, unique_name
from tfiam_tui.engine.aws.expected import Check, Expected
from tfiam_tui.engine.aws.verify import verify

MUST_CHANGE = "console password must be changed at first sign-in"
NOT_REQUIRED = "console password reset not required"
PASSWORD = "Sandbox-Only-Password-1!"


def _checks(expected: Expected, endpoint: str | None, **kwargs) -> dict[str, Check]:
    return {c.name: c for c in verify(expected, region=SANDBOX_REGION, endpoint=endpoint, **kwargs)}


def test_the_sandbox_keeps_password_reset_required_as_created_and_updated(moto_iam):
    user = unique_name("console")
    moto_iam.create_user(UserName=user)
    made = moto_iam.create_login_profile(UserName=user, Password=PASSWORD, PasswordResetRequired=True)
    assert made["LoginProfile"]["PasswordResetRequired"] is True
    assert moto_iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is True

    # A new password alone leaves the flag, and the profile, as they were (moto dropped both).
    moto_iam.update_login_profile(UserName=user, Password=PASSWORD + "x")
    assert moto_iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is True
    moto_iam.update_login_profile(UserName=user, PasswordResetRequired=False)
    assert moto_iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False

    other = unique_name("console")
    moto_iam.create_user(UserName=other)
    moto_iam.create_login_profile(UserName=other, Password=PASSWORD)  # AWS's default: no reset
    assert moto_iam.get_login_profile(UserName=other)["LoginProfile"]["PasswordResetRequired"] is False


@pytest.mark.parametrize("want", [True, False])
def test_the_flag_as_asked_passes_and_the_other_value_fails_with_the_fix(moto_iam, moto_endpoint, want):
    user = unique_name("console")
    moto_iam.create_user(UserName=user)
    moto_iam.create_login_profile(UserName=user, Password=PASSWORD, PasswordResetRequired=want)
    expected = Expected(user_name=user, login_profile=True, password_reset_required=want)
    name = MUST_CHANGE if want else NOT_REQUIRED

    checks = _checks(expected, moto_endpoint)
    assert checks[name].ok, checks[name]

    moto_iam.update_login_profile(UserName=user, PasswordResetRequired=not want)
    check = _checks(expected, moto_endpoint)[name]
    assert not check.ok
    flag = "--password-reset-required" if want else "--no-password-reset-required"
    assert f"PasswordResetRequired is {str(not want).lower()}, expected {str(want).lower()}" in check.detail
    assert f"aws iam update-login-profile --user-name {user} {flag}" in check.detail
    assert PASSWORD not in check.detail


def test_no_flag_check_without_a_console_password(moto_iam, moto_endpoint):
    user = unique_name("keyonly")
    moto_iam.create_user(UserName=user)
    checks = _checks(Expected(user_name=user), moto_endpoint)
    assert MUST_CHANGE not in checks and NOT_REQUIRED not in checks
    assert checks["console login profile"].ok


def test_a_console_password_not_asked_for_names_its_removal(moto_iam, moto_endpoint):
    user = unique_name("console")
    moto_iam.create_user(UserName=user)
    moto_iam.create_login_profile(UserName=user, Password=PASSWORD, PasswordResetRequired=True)
    check = _checks(Expected(user_name=user), moto_endpoint)["console login profile"]
    assert not check.ok
    assert f"aws iam delete-login-profile --user-name {user}" in check.detail


@pytest.mark.parametrize("used", [False, True])
def test_after_the_password_was_used_the_flag_is_not_compared(used):
    """AWS clears PasswordResetRequired when the user sets a new password, which takes a
    sign-in (PasswordLastUsed).  The sandbox server cannot sign anyone in, so this runs
    moto in-process, where the user's last sign-in can be set, as IAM would record it."""
    from moto import mock_aws
    from moto.iam.models import iam_backends

    with mock_aws():
        iam = boto3.client("iam", region_name=SANDBOX_REGION,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        iam.create_user(UserName="signed-in")
        iam.create_login_profile(UserName="signed-in", Password=PASSWORD, PasswordResetRequired=False)
        if used:
            when = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
            iam_backends["123456789012"]["global"].users["signed-in"].password_last_used = when
        expected = Expected(user_name="signed-in", login_profile=True, password_reset_required=True)
        check = _checks(expected, None, credentials=("testing", "testing"))[MUST_CHANGE]

    if used:
        assert check.ok and "not compared: the password was used (2026-01-02)" in check.detail
    else:
        assert not check.ok and "PasswordResetRequired is false, expected true" in check.detail
