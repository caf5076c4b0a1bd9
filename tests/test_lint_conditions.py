"""TFIAM045: conditions IAM would refuse (operators, value forms) or that never match (a
typo of a global key) are errors; an operator of another type than its key, a key tfiam
does not know, a key of another service are warnings; the conditions AWS's own managed
policies and ordinary least-privilege policies use are no error."""

from __future__ import annotations

import json

import pytest

from tfiam_tui.engine import policy as L

OK = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}


def conditions_of(condition, **statement):
    doc = {"Version": "2012-10-17", "Statement": [{**OK, **statement, "Condition": condition}]}
    return [f for f in L.lint_policy_document(doc, field="d") if f.rule == "TFIAM045"]


@pytest.mark.parametrize("condition,field,severity,words", [
    ("aws:SecureTransport", "d.Statement[0].Condition", "error", "object of operators"),
    ({"StringEqual": {"aws:username": "bob"}}, "d.Statement[0].Condition.StringEqual", "error", "did you mean StringEquals"),
    ({"ForEveryValue:StringEquals": {"aws:TagKeys": "a"}}, "d.Statement[0].Condition.ForEveryValue:StringEquals",
     "error", "not a condition operator"),
    ({"Bool": "aws:SecureTransport"}, "d.Statement[0].Condition.Bool", "error", "object of condition keys"),
    ({"DateLessThan": {"aws:CurrentTime": "next year"}}, "d.Statement[0].Condition.DateLessThan.aws:CurrentTime",
     "error", "not a date"),
    ({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "10.0.0.300/8"]}},
     "d.Statement[0].Condition.IpAddress.aws:SourceIp", "error", "'10.0.0.300/8' is not an IP"),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "an hour"}},
     "d.Statement[0].Condition.NumericLessThan.aws:MultiFactorAuthAge", "error", "not a number"),
    ({"Bool": {"aws:MultiFactorAuthPresent": "yes"}},
     "d.Statement[0].Condition.Bool.aws:MultiFactorAuthPresent", "error", "neither true nor false"),
    ({"IpAddress": {"aws:SourceIpAddress": "203.0.113.0/24"}},
     "d.Statement[0].Condition.IpAddress.aws:SourceIpAddress", "error", "did you mean aws:SourceIp?"),
    ({"StringEquals": {"aws:SourceIp": "203.0.113.0/24"}}, "d.Statement[0].Condition.StringEquals.aws:SourceIp",
     "warning", "IPAddress value"),
    ({"StringEquals": {"ec2:InstanceType": "t3.micro"}}, "d.Statement[0].Condition.StringEquals.ec2:InstanceType",
     "warning", "key of Amazon EC2"),
    ({"StringEquals": {"s3:NoSuchKeyEver": "x"}}, "d.Statement[0].Condition.StringEquals.s3:NoSuchKeyEver",
     "warning", "not a condition key of"),
    ({"StringEquals": {"aws:brandnewcontextthing": "x"}}, "d.Statement[0].Condition.StringEquals.aws:brandnewcontextthing",
     "warning", "not a condition key of global"),
])
def test_conditions_iam_refuses_or_never_matches_are_named(condition, field, severity, words):
    hits = conditions_of(condition)
    assert [(f.field, f.severity, words in f.message) for f in hits] == [(field, severity, True)], [str(f) for f in hits]


@pytest.mark.parametrize("condition", [
    {"Bool": {"aws:SecureTransport": "true"}},
    {"Bool": {"aws:MultiFactorAuthPresent": True}},
    {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
    {"NotIpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}, "DateLessThan": {"aws:EpochTime": 4102444800}},
    # s3:prefix is ListBucket's key (on GetObject it never matches: tests/test_lint_generalize.py)
    ({"StringLike": {"s3:prefix": ["${aws:username}/*"]}}, {"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}),
    {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}", "aws:RequestedRegion": ["eu-west-1"]}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
    {"ForAnyValue:StringLike": {"aws:CalledVia": "cloudformation.amazonaws.com"}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic"}},
    {"Null": {"aws:MultiFactorAuthAge": "true"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    ({"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}, {"Action": "s3:PutObject"}),  # a PutObject key
])
def test_ordinary_conditions_pass(condition):
    condition, statement = condition if isinstance(condition, tuple) else (condition, {})
    assert conditions_of(condition, **statement) == []


def test_a_passed_to_service_condition_on_passrole_is_its_own_key():
    assert conditions_of({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                         Action="iam:PassRole", Resource="arn:aws:iam::123456789012:role/web") == []


def test_no_aws_managed_document_has_a_condition_error():
    """AWS's own conditions are what IAM accepts: no TFIAM045 error on any document moto ships."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    documents = json.loads(aws_managed_policies_data)
    errors = {name: [str(f) for f in L.lint_policy_document(d["Document"]) if f.rule == "TFIAM045"
                     and f.severity == "error"] for name, d in documents.items()}
    assert not {name: found for name, found in errors.items() if found}
