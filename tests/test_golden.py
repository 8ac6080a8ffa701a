"""The golden corpus: every recorded call sequence replays on a fresh router exactly.

Each case (``tests/golden/cases/``) stores a config, a seed and concrete calls with
their answers as recorded; see :mod:`tests.golden`. A difference in any decision,
explanation text, event, error message, next tick or the final snapshot fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .golden import case_files, load_case, replay

CASE_FILES = case_files()


def test_the_corpus_is_large_enough() -> None:
    """At least 200 recorded sequences are stored, most with explanations on."""
    assert len(CASE_FILES) >= 200
    explained = [p for p in CASE_FILES if load_case(p)["config"]["explain"]]
    assert len(explained) >= 200


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_a_recorded_sequence_replays_exactly(path: Path) -> None:
    """Replaying the case's calls gives every recorded answer, step by step, and its final snapshot."""
    case = load_case(path)
    got = replay(case)
    for index, (want, have) in enumerate(zip(case["steps"], got["steps"], strict=True)):
        assert have == want, f"step {index}: {want['call']}"
    assert got["snapshot"] == case["snapshot"]
