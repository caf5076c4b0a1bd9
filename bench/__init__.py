"""tfiam's benchmark: ``tfiam replay`` side by side with the raw terraform sequence.

Run it from the repository root with the dev install::

    .venv/bin/python -m bench --runs 5

It starts the sandbox's stand-in AWS (moto), then alternately runs

* ``tfiam replay ANSWERS --auto-approve`` for one user, end to end, and
* what a skilled operator would type for an identical workspace (rendered by tfiam's own
  engine): ``terraform init -plugin-dir``, ``terraform plan -out``, ``terraform apply
  PLANFILE``, ``terraform output -json``,

each against a fresh user name, and prints a Markdown table of medians, minimums,
maximums and the tfiam/raw ratio.  It also measures command start-up, the peak memory of
the tfiam process, and provider installation (first and second workspace, time and disk).

Offline: the hashicorp/aws provider comes from a local mirror (``--plugin-dir``, else
``TFIAM_PLUGIN_DIR``, else the first mirror found under /opt or /).

Modules: :mod:`bench.prepare` (mirror, keyring, answers, workspaces), :mod:`bench.measure`
(runs and timings), :mod:`bench.report` (statistics and the table).
"""
