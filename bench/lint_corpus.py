"""What the linter costs over a large real corpus: every AWS managed policy document moto
ships (copies of AWS's own), each linted as a plain document, as verification lints what
it reads from IAM.  Prints the data load times, the total and the slowest documents, and
how many TFIAM044 (resource mismatch) and TFIAM045 (condition) findings AWS's own text gets.

    .venv/bin/python -m bench.lint_corpus
"""

from __future__ import annotations

import json
import time
from collections import Counter


def main() -> int:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    from tfiam_tui.engine.policy import lint_policy_document
    from tfiam_tui.engine.policy.catalogue import catalogue
    from tfiam_tui.engine.policy.resources import resource_types

    t0 = time.perf_counter()
    catalogue()
    t1 = time.perf_counter()
    resource_types()
    t2 = time.perf_counter()
    documents = json.loads(aws_managed_policies_data)
    rules: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    slowest: list[tuple[float, str]] = []
    statements = 0
    start = time.perf_counter()
    for name, data in documents.items():
        doc = data["Document"]
        raw = doc.get("Statement", [])
        statements += len(raw) if isinstance(raw, list) else 1
        t = time.perf_counter()
        found = lint_policy_document(doc)
        slowest.append((time.perf_counter() - t, name))
        rules.update(f.rule for f in found)
        errors.update(f.rule for f in found if f.severity == "error")
    total = time.perf_counter() - start
    slowest.sort(reverse=True)
    print(f"catalogue load {t1 - t0:.3f} s, resource types load {t2 - t1:.3f} s")
    print(f"{len(documents)} documents, {statements} statements linted in {total:.2f} s "
          f"({1000 * total / len(documents):.1f} ms per document)")
    print("slowest: " + ", ".join(f"{name} {secs * 1000:.0f} ms" for secs, name in slowest[:3]))
    print(f"TFIAM044 findings in AWS's own documents: {rules['TFIAM044']}")
    print(f"TFIAM045 (conditions) in AWS's own documents: {errors['TFIAM045']} error(s), "
          f"{rules['TFIAM045'] - errors['TFIAM045']} warning(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
