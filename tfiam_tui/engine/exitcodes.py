"""Exit codes of the ``tfiam`` command, documented in the README."""

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    ERROR = 1  # unexpected failure (a bug: please report it)
    USAGE = 2  # bad command line (argparse)
    INVALID_ANSWERS = 3  # the answers, the PGP key or the workspace folder is wrong (or not tfiam's); nothing written
    #                     (tfiam adopt: no such user, or the user does not fit the answers' rules)
    TERRAFORM_FAILED = 4  # terraform init/plan/apply/output failed
    VERIFY_FAILED = 5  # apply succeeded, but a post-apply check against AWS failed
    REFUSED = 6  # not confirmed (declined, no terminal, a dangerous plan without --allow-destroy), plaintext to a non-terminal
    MISSING_TOOL = 7  # terraform or gpg not found
    DECRYPT_FAILED = 8  # the secret could not be decrypted (no secret key, bad passphrase)
    AWS_UNAVAILABLE = 9  # AWS (or the stand-in endpoint) unreachable, or no usable credentials; nothing written
    LINT_FAILED = 10  # the linter found errors (or, with --strict, warnings); nothing was written
    NEEDS_ATTENTION = 11  # tfiam status: a user needs the operator (a key to rotate, drift, an Expiry passed)
    INTERRUPTED = 130  # Ctrl-C; terraform was stopped cleanly and state saved
