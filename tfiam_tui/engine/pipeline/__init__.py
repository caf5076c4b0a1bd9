"""The steps from answers to a verified user, in order.  Every front drives this.

    prepare()  resolve the PGP key, render and write the workspace (raises AnswersError)
    init()     terraform init                         -> events
    recover()  finish what an interrupted apply left behind (its orphaned key or password)
    plan()     terraform plan -out (one plan file per run) -> events; then .summary, .review
    apply()    terraform apply <that plan file>, checked unchanged since review -> events
    outputs()  terraform output -json                 -> dict (no plaintext in it)
    credentials(passphrase)                           -> decrypted Credentials
    verify(credentials)                               -> checklist

Fronts render the events (lines and typed progress) and ask their own questions
(confirmation, passphrase); the engine never prompts.  ``review.decide`` says which
question a plan needs (the destroy gate).

Rooms: steps (the Pipeline), plans (plan files and what they do), review (a plan in the
operator's words, and the destroy gate), inflight and recovery (after an interrupted
apply), credentials (secrets in memory, AWS credentials for tfiam's calls).
"""

from .credentials import (
    Credentials,
    chosen_key,
    decrypt_credentials,
    explicit_credentials,
    read_outputs,
    workspace_credentials,
)
from .plans import PlanSummary
from .steps import MIN_TERRAFORM, Pipeline, resolve_pgp_key, with_endpoint

__all__ = [
    "MIN_TERRAFORM",
    "Credentials",
    "chosen_key",
    "Pipeline",
    "PlanSummary",
    "decrypt_credentials",
    "explicit_credentials",
    "read_outputs",
    "resolve_pgp_key",
    "with_endpoint",
    "workspace_credentials",
]
