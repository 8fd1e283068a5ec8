"""Plays every fixture of ``testing_data/`` (or ``SPIKARD_FIXTURES=DIR``) through the Python API.

Same rules as the Rust runner: a failing fixture listed in ``e2e/known_failures.json``
(by file or category) is an expected failure; a fixture listed by file that passes
fails the run; the session ends with ``N passed, M failed``. Categories in
``pending.json`` (features the Python package lacks so far) are skipped.
"""

from __future__ import annotations

import pytest

from fixture import Fixture, fixture_dir, load_dir
from known import KnownFailures
from play import play

FIXTURES = load_dir(fixture_dir())
KNOWN = KnownFailures.load()


def test_fixture_folder_is_not_empty() -> None:
    assert FIXTURES, f"no fixtures found in {fixture_dir()}"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_fixture(fixture: Fixture) -> None:
    if fixture.data.get("skip") is True:
        pytest.skip("fixture marked skip")
    if fixture.category in KNOWN.pending:
        pytest.skip(f"not played through Python yet: {KNOWN.pending[fixture.category]}")
    problems = play(fixture)
    reason = KNOWN.reason(fixture.id, fixture.category)
    if problems:
        if reason is not None:
            pytest.xfail(reason)
        pytest.fail("\n".join(problems), pytrace=False)
    if fixture.id in KNOWN.fixtures:
        pytest.fail(
            f"listed as a known failure ({reason}) but passes; remove it from e2e/known_failures.json",
            pytrace=False,
        )
