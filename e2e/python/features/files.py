"""Fixtures with a ``file_response`` section (mirrors ``e2e/rust/src/features/files.rs``):
the handler answers with a ``FileResponse`` of a temporary file holding ``content``, named
``filename``, ``inline`` or a download, with ``media_type`` when given; ``missing: true``
names a file that does not exist."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixture import Fixture
from spikard import FileResponse

_DIR = Path(tempfile.gettempdir()) / f"spikard-e2e-files-py-{os.getpid()}"


def build(f: Fixture) -> Callable[..., Any] | None:
    """The handler of a ``file_response`` fixture; ``None`` otherwise."""
    section = f.data.get("file_response")
    if not isinstance(section, dict):
        return None
    path = _DIR / re.sub(r"[^A-Za-z0-9]", "_", f.id)
    if not section.get("missing"):
        _DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(str(section.get("content", "")), encoding="utf-8")
    filename = section.get("filename")
    disposition = "inline" if section.get("inline") else "attachment"
    media_type = section.get("media_type")

    def handler() -> FileResponse:
        return FileResponse(path, filename=filename, media_type=media_type, content_disposition_type=disposition)

    return handler
