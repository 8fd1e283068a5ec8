"""The registration protocol with the core: plain dicts, and the objects they refer to.

Each registration is one dict read by the core as a ``RouteDecl``, ``HookDecl`` or
``DependencyDecl`` (``crates/spikard-http/src/foreign/decl.rs``), plus the list of
Python objects (functions, converters, dependency values) it refers to by index.
Every callable is described by an argument plan: for each argument its ``name``, its
``source`` (``path``, ``query``, ``header``, ``cookie``, ``body``, ``request``,
``file``, ``files``, ``dependency``, ``state``), the ``key`` it is found under,
whether it is passed by position, and ``optional`` (pass ``None`` when absent;
otherwise the function's own default applies).
"""

from __future__ import annotations

from typing import Any

Arg = dict[str, Any]


def arg(
    name: str,
    source: str,
    key: str | None = None,
    converter: Any = None,
    *,
    optional: bool = False,
    positional: bool = False,
) -> Arg:
    """One argument of a plan; ``converter`` (a callable applied to the value) is kept as
    the object until :meth:`Objects.args` turns it into a reference."""
    out: Arg = {"name": name, "source": source}
    if key is not None and key != name:
        out["key"] = key
    if converter is not None:
        out["converter"] = converter
    if optional:
        out["optional"] = True
    if positional:
        out["positional"] = True
    return out


class Objects:
    """The objects one declaration refers to, by index."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[Any] = []

    def ref(self, obj: Any) -> int:
        self.items.append(obj)
        return len(self.items) - 1

    def args(self, args: list[Arg]) -> list[Arg]:
        """The plan with each converter replaced by its reference."""
        return [{**a, "converter": self.ref(a["converter"])} if "converter" in a else a for a in args]

    def function(
        self, function: Any, args: list[Arg], *, is_async: bool, name: str | None = None, inline: bool = False
    ) -> dict[str, Any]:
        """A ``FunctionDecl`` (``inline``: a sync function that never blocks, called on the
        server's thread rather than the pool of blocking threads)."""
        decl: dict[str, Any] = {"function": self.ref(function), "is_async": is_async, "args": self.args(args)}
        if name is not None:
            decl["name"] = name
        if inline and not is_async:
            decl["inline"] = True
        return decl
