"""Known failures (``e2e/known_failures.json``, shared with the Rust runner): fixtures or
whole categories that cannot pass yet, each with its reason. A listed fixture that
passes fails the run, so the list never goes stale.

``e2e/python/pending.json`` adds categories of core features the Python binding does
not expose yet (the Rust runner plays them); they count like listed categories."""

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

    @classmethod
    def load(cls, path: Path = KNOWN_FAILURES, pending: Path = PENDING) -> KnownFailures:
        known = cls()
        for source in (path, pending):
            if source.exists():
                data = json.loads(source.read_text(encoding="utf-8"))
                known.categories.update(data.get("categories", {}))
                known.fixtures.update(data.get("fixtures", {}))
        return known

    def reason(self, fixture_id: str, category: str) -> str | None:
        """Why a fixture is expected to fail, if listed (a fixture entry wins over its category)."""
        return self.fixtures.get(fixture_id) or self.categories.get(category)
