"""The README examples type-check under ``mypy --strict`` (issue 19): what users copy first
must pass their type checker, marker defaults (``= Query(...)``) included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[3]
READMES = [ROOT / "README.md", ROOT / "packages" / "python" / "README.md"]


def examples() -> list[tuple[str, str]]:
    found = []
    for readme in READMES:
        blocks = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
        found += [(f"{readme.relative_to(ROOT)}#{i + 1}", block) for i, block in enumerate(blocks)]
    return found


@pytest.mark.parametrize(("where", "code"), examples(), ids=[w for w, _ in examples()])
def test_readme_examples_type_check(where: str, code: str, tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text(code, encoding="utf-8")
    out, err, status = api.run(
        [
            "--strict",
            "--python-version",
            "3.10",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(module),
        ]
    )
    assert status == 0, f"{where} does not type-check:\n{out}{err}"


MARKERS = """
from typing import Annotated

from spikard import Body, Cookie, Dependency, Depends, Header, Path, Provide, Query, Spikard

app = Spikard()


def settings() -> dict[str, str]:
    return {"dsn": "db://"}


@app.post("/items/{item_id}")
def create(
    other: Annotated[dict[str, str], Depends(settings)],
    item_id: int = Path(ge=1),
    q: str = Query(...),
    limit: int = Query(default=10, le=100),
    token: str | None = Header(None),
    session: str = Cookie("anonymous"),
    payload: dict[str, int] = Body(),
    config: dict[str, str] = Provide(settings),
    db: dict[str, str] = Dependency("config"),
    page: dict[str, str] = Depends(settings),
) -> dict[str, object]:
    return {"id": item_id, "q": q, "limit": limit}
"""


def test_marker_defaults_type_check(tmp_path: Path) -> None:
    """``= Query(...)``, ``Header()``, ``Provide()``, ``Dependency()``... are typed ``Any``,
    as FastAPI's markers are, so a default of any declared type passes ``--strict``."""
    module = tmp_path / "markers.py"
    module.write_text(MARKERS, encoding="utf-8")
    out, err, status = api.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(module)])
    assert status == 0, out + err
