"""``UploadFile``: one file of a multipart body, as handlers receive it (``file: UploadFile``
or ``files: list[UploadFile]``) and as the test client sends it."""

from __future__ import annotations

__all__ = ["UploadFile"]


class UploadFile:
    """A file's field name, client-supplied filename (possibly empty), content type and bytes."""

    __slots__ = ("_content", "content_type", "field_name", "filename")

    def __init__(
        self,
        filename: str,
        content: bytes,
        content_type: str = "application/octet-stream",
        field_name: str = "",
    ) -> None:
        self.filename = filename
        self._content = bytes(content)
        self.content_type = content_type
        self.field_name = field_name

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self._content)

    def read(self) -> bytes:
        """The file's bytes."""
        return self._content

    def __repr__(self) -> str:
        return f"<UploadFile {self.filename!r} {self.content_type} ({self.size} bytes)>"
