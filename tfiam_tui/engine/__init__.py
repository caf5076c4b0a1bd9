"""The engine: everything tfiam does, for every front (wizard, prompts, headless commands).

Rooms, one concern each; arrows point to what a room may import::

    pipeline.py (day 1)   lifecycle/ (day 2)
            |                  |
    terraform/    aws/    secrets/        (these three do not import each other)
            |       |       |
         answers/       policy/           (pure: data in, data out)

Small shared leaves that any room may import: ``exitcodes``, ``fsutil`` (atomic private
writes), ``runlog`` (the redacted run log), ``timings``, ``bundled`` (where the bundled
modules and templates live).

The engine never imports a front (``tui``, ``ask``, ``commands``), Textual or
questionary; subprocesses (terraform, gpg) are started only here.  The contracts are
in pyproject.toml (``lint-imports``).
"""
