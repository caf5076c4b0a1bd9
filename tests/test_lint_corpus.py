"""The labelled corpus (tests/lint_corpus): every document is what its category says to
tfiam's linter: escalations, admin grants, unknown actions, resource mismatches and
malformed documents are found; harmless least-privilege and read-only policies get no
error.  A known miss is named with its reason, and must still be a miss (fixing it means
updating its label)."""

from __future__ import annotations

import pytest

from bench.lint_labelled import EXPECTED, judge, load

CORPUS = load()
ENTRIES = [(category, entry) for category, entries in CORPUS.items() for entry in entries]


def test_the_corpus_has_every_category_and_each_entry_a_source():
    assert set(CORPUS) == set(EXPECTED)
    assert all(len(entries) >= 12 for entries in CORPUS.values())
    names = [e["name"] for _, e in ENTRIES]
    assert len(names) == len(set(names))
    assert all(e["source"] and ("document" in e) != ("documents" in e) for _, e in ENTRIES)


@pytest.mark.parametrize("category,entry", ENTRIES, ids=[e["name"] for _, e in ENTRIES])
def test_every_label_holds(category, entry):
    verdict = judge(category, entry)
    assert verdict.crashed is None
    if verdict.known_miss:
        assert not verdict.holds, f"{entry['name']} is found now: drop its known_miss"
    else:
        assert verdict.holds, (entry["name"], verdict.findings)
