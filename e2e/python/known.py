"""Known failures (``e2e/known_failures.json``, shared with the Rust runner): fixtures or
whole categories that cannot pass yet, each with its reason. A listed fixture that
passes fails the run, so the list never goes stale."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from fixture import ROOT

KNOWN_FAILURES = ROOT / "e2e" / "known_failures.json"


@dataclass
class KnownFailures:
    categories: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = KNOWN_FAILURES) -> KnownFailures:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(dict(data.get("categories", {})), dict(data.get("fixtures", {})))

    def reason(self, fixture_id: str, category: str) -> str | None:
        """Why a fixture is expected to fail, if listed (a fixture entry wins over its category)."""
        return self.fixtures.get(fixture_id) or self.categories.get(category)
