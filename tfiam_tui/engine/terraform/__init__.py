"""Terraform: the one adapter around the terraform CLI and everything written for it.

* :mod:`.runner` runs terraform (through python-terraform's argv builder) and streams
  :mod:`.events`; :mod:`.process` follows a running process and keeps the one-SIGINT
  rule; :mod:`.cliconfig` copes with the operator's CLI configuration and provider cache.
* :mod:`.workspace` renders answers into a workspace and writes it (tfvars, never HCL
  splicing); :mod:`.backends` the S3 backend files, :mod:`.locks` the state lock,
  :mod:`.statemove` moving local state to S3, :mod:`.bootstrap` the state bucket itself;
  :mod:`.statefile` reads the state as data (no terraform), :mod:`.keyslots` the access
  key slots and the rotation record a workspace keeps in it.

May import ``answers`` and the engine's shared leaves (and boto3, for the state bucket
and its lock); nothing of aws or secrets.
"""
