"""Known failures (``e2e/known_failures.json``, shared with the Rust runner): fixtures or
whole categories that cannot pass yet, each with its reason. A listed fixture that
passes fails the run, so the list never goes stale.

``e2e/python/pending.json`` lists categories whose feature the Python package does not
expose yet (the Rust runner plays them); the Python runner skips them without playing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from fixture import ROOT

KNOWN_FAILURES = ROOT / "e2e" / "known_failures.json"
PENDING = Path(__file__).with_name("pending.json")


@dataclass
class KnownFailures:
    categories: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, str] = field(default_factory=dict)
    #: Categories skipped without playing (``pending.json``), with their reasons.
    pending: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = KNOWN_FAILURES, pending: Path = PENDING) -> KnownFailures:
        known = cls()
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            known.categories.update(data.get("categories", {}))
            known.fixtures.update(data.get("fixtures", {}))
        if pending.exists():
            known.pending.update(json.loads(pending.read_text(encoding="utf-8")).get("categories", {}))
        return known

    def reason(self, fixture_id: str, category: str) -> str | None:
        """Why a fixture is expected to fail, if listed (a fixture entry wins over its category)."""
        return self.fixtures.get(fixture_id) or self.categories.get(category)
