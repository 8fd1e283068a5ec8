"""Dependency injection.

::

    from spikard import Provide, Spikard

    def load_settings() -> Settings:
        return Settings.from_env()

    async def open_session(settings: Settings):
        session = await connect(settings.url)
        try:
            yield session
        finally:
            await session.close()

    app = Spikard(dependencies={
        "settings": Provide(load_settings, singleton=True),
        "session": Provide(open_session),
    })

    @app.get("/users/{user_id:int}")
    async def get_user(user_id: int, session: Session) -> dict: ...

A handler parameter receives a dependency when its name is a dependency's name, or,
failing that, when its annotation is the class exactly one dependency provides (a
factory's return annotation, or a value's class). A parameter whose default is
``Dependency()`` (or ``Dependency("name")``) always receives one, registered before or
after the route: one nobody provides is reported instead of being read from the query.
A parameter named like a dependency that also reads the request (a path parameter, one
marked ``Query()``, ``Header()``, ``Cookie()``..., or one with a default) is ambiguous
and refused at registration with a ``ConfigError`` naming both.

A factory receives the dependencies named by its required parameters without a marker,
the ``Request`` in a parameter annotated ``Request`` (or an unannotated one named
``request``), and reads the request like a handler for the others, as FastAPI's
``Depends`` does: parameters with a default are query parameters, ``Path()``,
``Query()``, ``Header()``, ``Cookie()`` and ``Body()`` markers say where else to read,
``= Depends(f)`` (or ``Annotated[T, Depends(f)]``, or ``= Provide(f)``) nests another
dependency. The core validates them with the route's own parameters (a failure is the
route's 422 problem) and documents them on every route using the dependency; a parameter
the handler also reads must be declared alike. A singleton is created once and reads
nothing from the request (its parameters with a default keep it)::

    def pagination(skip: int = 0, limit: Annotated[int, Query(le=100)] = 10) -> dict:
        return {"skip": skip, "limit": limit}

    @app.get("/items")
    def items(page: dict = Depends(pagination)) -> dict:  # GET /items?skip=20
        return page

A factory may be a function, an ``async`` function, or a (async) generator function:
the value is what it yields first, and the code after ``yield`` runs once the response
has been sent (cleanups run last created first). When the handler raised, its exception
is raised at the ``yield`` instead (as in FastAPI), so ``try: yield session;
session.commit() except Exception: session.rollback(); raise`` never commits the work of
a failed request; re-raising it (or ending) is fine, anything else is logged. An
``async`` handler interrupted by the request deadline or a client that went away raises
``asyncio.CancelledError`` there. ``Provide(cacheable=True)`` (the
default) creates the value once per request, shared by everything in that request
that asks for it; ``cacheable=False`` creates it for each use; ``singleton=True``
creates it once for the app, on first use. Plain values are shared.

Dependencies are registered app-wide (``Spikard(dependencies=...)``,
``app.provide(...)``) or per route (``dependencies=`` on the route decorators, which
replaces the app's of the same name for that route), or inline as a parameter's
default (``session = Provide(open_session)``). Lifecycle hooks receive the dependencies
named by their extra parameters. A cycle or a dependency nobody provides is reported
when the app is built (``TestClient(app)`` or ``app.run()``), naming the route.

Resolution runs in the Rust core: dependencies that do not depend on each other are
created concurrently, and a factory that raises answers like a raising handler
(``HTTPException`` keeps its status, anything else is a logged 500).
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from spikard import _decl
from spikard.exceptions import ConfigError

__all__ = ["Dependency", "DependencyMarker", "Depends", "Provide", "Provider"]

#: Classes too general to inject by type (a parameter annotated ``dict`` is not "the" dict).
_GENERAL = (dict, list, tuple, set, frozenset, str, bytes, int, float, bool, object, type(None))
_GENERATOR_ORIGINS = (
    collections.abc.Generator,
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.AsyncGenerator,
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
)


class Provider:
    """A dependency: ``Provide(factory)`` for a callable creating the value, or
    ``Provide(value)`` for a fixed value (anything that is not callable).

    A factory's parameters are read like a handler's: a required one without a marker is
    the dependency of its name, a ``Request`` one the request, and the others come from
    the request (query by default, ``Path()``, ``Header()``, ``Cookie()``, ``Body()``,
    a structured type for the body), validated by the core and documented with every
    route using the dependency. ``parameters`` adds JSON Schemas explicitly, as
    ``add_route(parameters=...)`` does (``{"query": {name: schema}, "headers": ...}``),
    each passed by keyword. A singleton is created once, so it reads nothing from the
    request: its parameters with a default keep it."""

    __slots__ = ("_plan", "cacheable", "dependency", "parameters", "singleton")

    def __init__(
        self,
        dependency: Any,
        *,
        cacheable: bool = True,
        singleton: bool = False,
        parameters: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.dependency = dependency
        self.cacheable = cacheable
        self.singleton = singleton
        self.parameters = parameters
        self._plan: Any = None

    def __repr__(self) -> str:
        options = ", singleton=True" if self.singleton else "" if self.cacheable else ", cacheable=False"
        return f"Provide({self.dependency!r}{options})"

    @property
    def is_value(self) -> bool:
        return not callable(self.dependency)

    def plan(self, name: str) -> Any:
        """How the factory is called (``spikard._signature.Plan``), read once."""
        if self._plan is None:
            from spikard import _signature  # noqa: PLC0415 - _signature builds on this module

            factory = self.dependency
            _signature_of(factory, name)  # unreadable signatures fail naming the dependency
            self._plan = _signature.analyze(
                factory, "/", route=f"dependency '{name}'", factory=True, keep_defaults=self.singleton
            )
        return self._plan

    def nested(self, name: str) -> dict[str, Provider]:
        """The dependencies the factory declares in place (``= Depends(f)``), by parameter name."""
        return {} if self.is_value else dict(self.plan(name).inline_dependencies)

    def describe(self, name: str, objects: _decl.Objects) -> dict[str, Any]:
        """The ``DependencyDecl`` the core registers: the kind, the value or factory, the
        factory's arguments (dependencies, the request, request parameters), the schemas
        of what it reads from the request and the lifetime."""
        if self.is_value:
            return {"kind": "value", "function": objects.ref(self.dependency)}
        factory = self.dependency
        lifetime = "singleton" if self.singleton else "per_request" if self.cacheable else "per_use"
        plan = self.plan(name)
        args: list[_decl.Arg] = list(plan.args)
        parameters = {section: dict(schemas) for section, schemas in plan.parameters.items() if schemas}
        taken = {a["name"] for a in args}
        for section, schemas in (self.parameters or {}).items():
            section_name = _SECTIONS.get(section, section)
            parameters.setdefault(section_name, {}).update(schemas)
            source = _SOURCES[section_name]
            args += [_decl.arg(key, source, key) for key in schemas if key not in taken]
        kind = _kind(factory)
        decl: dict[str, Any] = {
            "kind": "generator" if kind.endswith("generator") else "factory",
            "is_async": kind in ("coroutine", "async_generator"),
            "function": objects.ref(factory),
            "args": objects.args(args),
            "lifetime": lifetime,
        }
        if parameters:
            decl["parameters"] = parameters
        if plan.body_schema is not None:
            decl["body_schema"] = plan.body_schema
        return decl

    def provides(self) -> type | None:
        """The class the dependency provides, for injection by type (``None``: by name only)."""
        if self.is_value:
            provided: Any = type(self.dependency)
        elif inspect.isclass(self.dependency):
            provided = self.dependency
        else:
            try:
                hints = typing.get_type_hints(self.dependency)
            except Exception:  # unresolvable hints: injection by name only
                return None
            provided = hints.get("return")
            if _kind(self.dependency).endswith("generator") and typing.get_origin(provided) in _GENERATOR_ORIGINS:
                provided = typing.get_args(provided)[0] if typing.get_args(provided) else None
        if inspect.isclass(provided) and provided not in _GENERAL:
            return provided
        return None


def Depends(dependency: Any = None, *, use_cache: bool = True) -> Any:
    """FastAPI's spelling of an in-place dependency: ``commons: dict = Depends(common)`` (or
    ``Annotated[dict, Depends(common)]``) is ``Provide(common, cacheable=use_cache)`` under
    the parameter's name; ``Depends()`` provides the annotated class. Typed ``Any`` so a
    default of any annotation type-checks."""
    return Provider(dependency, cacheable=use_cache)


#: Parameter sections as the core names them, and the argument source of each.
_SECTIONS = {"header": "headers", "cookie": "cookies"}
_SOURCES = {"path": "path", "query": "query", "headers": "header", "cookies": "cookie"}


class DependencyMarker:
    """Marks a handler parameter as a dependency (of its own name, or ``name``):
    ``session: Session = Dependency()``."""

    __slots__ = ("name",)

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Dependency({self.name!r})" if self.name else "Dependency()"


# ``Provide`` and ``Dependency`` are functions typed ``Any``, as FastAPI's markers are, so
# ``session: Session = Provide(open_session)`` and ``= Dependency()`` type-check.


def Provide(
    dependency: Any,
    *,
    cacheable: bool = True,
    singleton: bool = False,
    parameters: dict[str, dict[str, Any]] | None = None,
) -> Any:
    """A dependency (a :class:`Provider`): ``Provide(factory)`` for a callable creating the
    value, or ``Provide(value)`` for a fixed value; see :class:`Provider` for the options."""
    return Provider(dependency, cacheable=cacheable, singleton=singleton, parameters=parameters)


def Dependency(name: str | None = None) -> Any:
    """Marks a handler parameter as a dependency (of its own name, or ``name``):
    ``session: Session = Dependency()``."""
    return DependencyMarker(name)


def as_provide(dependency: Any) -> Provider:
    """A registration as a ``Provider`` (plain values and callables are wrapped)."""
    return dependency if isinstance(dependency, Provider) else Provider(dependency)


#: What ``dependencies=`` takes: ``{name: Provide(...) or a value}``, or FastAPI's list of
#: ``Depends(check)`` (run for every request; mappings in the list name dependencies).
Dependencies = Mapping[str, Any] | Sequence[Any]


def split_dependencies(
    given: Dependencies | None, taken: Collection[str] = ()
) -> tuple[dict[str, Provider], list[str]]:
    """``dependencies=`` as named providers and the names of those run for every request
    (FastAPI's ``dependencies=[Depends(check)]``: resolved whether or not the handler takes
    them, for their effect: a check that raises refuses the request). A run dependency is
    named after its callable (``check``, then ``check_2``... when ``taken`` or an earlier
    one has the name). Later entries win over earlier ones of the same name."""
    if given is None:
        return {}, []
    if isinstance(given, Mapping):
        return {name: as_provide(d) for name, d in given.items()}, []
    if isinstance(given, (str, bytes)):
        raise TypeError("dependencies= is a mapping of names to dependencies or a list of Depends(...)")
    named: dict[str, Provider] = {}
    checks: list[Provider] = []
    for item in given:
        if isinstance(item, Mapping):
            named.update({name: as_provide(d) for name, d in item.items()})
            continue
        provider = as_provide(item)
        if not callable(provider.dependency):
            raise TypeError(f"dependencies=[...] runs callables (Depends(check)), not {provider.dependency!r}")
        checks.append(provider)
    run: list[str] = []
    for provider in checks:
        base = getattr(provider.dependency, "__name__", None) or type(provider.dependency).__name__
        name, n = base, 1
        while name in named or name in taken:
            n += 1
            name = f"{base}_{n}"
        named[name] = provider
        run.append(name)
    return named, run


def _kind(factory: Any) -> str:
    target = factory.__call__ if not inspect.isroutine(factory) and not inspect.isclass(factory) else factory
    if inspect.isasyncgenfunction(target):
        return "async_generator"
    if inspect.isgeneratorfunction(target):
        return "generator"
    if inspect.iscoroutinefunction(target):
        return "coroutine"
    return "function"


def _signature_of(factory: Any, name: str) -> inspect.Signature:
    try:
        return inspect.signature(factory, eval_str=True)
    except (NameError, ValueError, TypeError) as e:
        raise ConfigError(f"dependency '{name}': cannot read the signature of {factory!r}: {e}") from e


def by_type(dependencies: dict[str, Provider]) -> dict[type, str]:
    """Classes provided by exactly one dependency, and its name."""
    seen: dict[type, list[str]] = {}
    for name, provide in dependencies.items():
        provided = provide.provides()
        if provided is not None:
            seen.setdefault(provided, []).append(name)
    return {cls: names[0] for cls, names in seen.items() if len(names) == 1}


def hook_dependencies(hook: Any, phase: str) -> tuple[list[str], bool]:
    """The dependencies of a hook and whether it takes the request summary: a request hook
    receives the dependencies named by its required parameters after the first; a response
    hook taking a second argument receives the ``HookRequest``."""
    params = [
        p
        for p in _signature_of(hook, getattr(hook, "__qualname__", phase)).parameters.values()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if phase in ("on_response", "on_error"):
        return [], len(params) >= 2
    return [p.name for p in params[1:] if p.default is inspect.Parameter.empty], False
