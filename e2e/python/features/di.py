"""Fixtures with dependency injection (mirrors ``e2e/rust/src/features/di.rs``:
``handler.dependencies``, ``handler_dependencies``, ``route_overrides``,
``run_dependencies`` (as ``dependencies=[Depends(...)]``), ``expected_types``, hooks'
``dependencies``). The runner registers them through the
public API as an application would, with the vocabulary of ``testing_data/README.md``:

- values are ``Provide(value)``; with ``injection_strategy: "type"`` a value with a
  ``python_type`` is an instance of a class of that name, and the handler takes it by
  that annotation under another parameter name (injection by type);
- a factory creates ``{"factory", "id", "created_at", "count", "inputs"}`` (``count``:
  how many times this registration has created a value; ``inputs``: the dependencies it
  received); an ``async_factory`` is an ``async`` function that yields to the loop first;
- a factory with ``parameters`` is ``Provide(..., parameters=...)``: it reads them from
  the request (validated with the route's by the core) and creates the object of what it
  read and got, by name; ``handler.returns_dependency`` makes the handler answer with
  that dependency's value;
- ``cleanup: true`` makes the factory a (async) generator: creating records
  ``<label>_opened`` in the fixture's state log, the code after ``yield``
  ``<label>_closed``; the log is served at ``background.state_path`` as
  ``{<state_key>: [...]}``;
- a factory whose name contains ``fail``, ``raise`` or ``throw`` raises: an
  ``HTTPException`` with the fixture's expected status when it is an error status
  below 500, else a plain exception (a 500).

``expected_types`` become the handler's annotations (``object`` is ``dict``, ...), which
the core checks against the resolved values. Routes defer graph errors (cycles, missing
dependencies) to request time, since the fixtures pin the request-time problem. The
handler takes every dependency it declares as a required keyword argument, so a
dependency left unresolved fails the call."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
import uuid
from collections.abc import Callable
from typing import Any

from answer import app_response, application_answers, configures_middleware

from fixture import Fixture
from spikard import Dependency, HTTPException, Provide, Spikard
from spikard.testing import TestClient

JSON_CLASSES: dict[str, type] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}


def has_dependencies(f: Fixture) -> bool:
    return any(k in f.handler for k in ("dependencies", "handler_dependencies", "route_overrides", "run_dependencies"))


def names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def handler_needs(f: Fixture) -> list[str]:
    """The dependencies the handler takes (a name listed twice is one parameter: both uses
    get the same value, as in the Rust runner)."""
    return list(dict.fromkeys(names(f.handler.get("handler_dependencies"))))


def keyword_function(function: Callable[..., Any], params: list[inspect.Parameter], name: str) -> Callable[..., Any]:
    """``function`` (taking ``**kwargs``) presented with the given parameters, as an
    application's function with those parameters would be."""
    function.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    function.__name__ = function.__qualname__ = name
    return function


def keyword_parameters(
    names_: list[str], annotations: dict[str, Any] | None = None, registered: set[str] | None = None
) -> list[inspect.Parameter]:
    """Required keyword parameters; those not in ``registered`` (when given) are marked
    ``Dependency()``, as an application marks a dependency registered elsewhere."""
    annotations = annotations or {}
    return [
        inspect.Parameter(
            n,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=annotations.get(n, inspect.Parameter.empty),
            default=Dependency() if registered is not None and n not in registered else inspect.Parameter.empty,
        )
        for n in names_
    ]


def _label_for(name: str, f: Fixture) -> str:
    expected = names((f.data.get("background") or {}).get("expected_state"))
    labels = [e.removesuffix("_opened") for e in expected if e.endswith("_opened")]
    matching = [label for label in labels if label in name]
    return max(matching, key=len) if matching else name


class _Registration:
    """One fixture dependency definition as a ``Provide``."""

    def __init__(self, f: Fixture, name: str, definition: dict[str, Any], log: list[str]) -> None:
        self.f, self.name, self.definition, self.log = f, name, definition, log
        self.count = itertools.count(1)

    def provide(self) -> Provide:
        d = self.definition
        kind = d.get("type", "value")
        if kind == "value":
            return Provide(self._value())
        if kind not in ("factory", "async_factory"):
            raise ValueError(f"dependency '{self.name}': unknown type '{kind}'")
        factory = str(d.get("factory") or self.name)
        depends_on = names(d.get("depends_on"))
        reads = d.get("parameters") if isinstance(d.get("parameters"), dict) else None
        function = self._factory(factory, kind == "async_factory", d.get("cleanup") is True, reads is not None)
        keyword_function(function, keyword_parameters(depends_on), factory)
        return Provide(
            function,
            cacheable=d.get("cacheable") is True,
            singleton=d.get("singleton") is True,
            parameters=reads,
        )

    def _value(self) -> Any:
        value = self.definition.get("value")
        class_name = self.definition.get("python_type")
        if self.f.handler.get("injection_strategy") == "type" and isinstance(class_name, str):
            return type(class_name, (dict,), {})(value)
        return value

    def _create(self, factory: str, inputs: dict[str, Any], reads: bool = False) -> dict[str, Any]:
        if any(w in factory for w in ("fail", "raise", "throw")):
            status = self.f.expected_status
            if 400 <= status < 500:
                raise HTTPException(status, f"factory {factory} refused the request")
            raise RuntimeError(f"factory {factory} failed")
        if reads:  # the parameters it read and the dependencies it got, by name
            return dict(inputs)
        return {
            "factory": factory,
            "id": str(uuid.uuid4()),
            "created_at": time.time(),
            "count": next(self.count),
            "inputs": dict(inputs),
        }

    def _factory(self, factory: str, is_async: bool, cleanup: bool, reads: bool) -> Callable[..., Any]:
        label = _label_for(self.name, self.f)
        log = self.log

        def create(factory: str, inputs: dict[str, Any]) -> dict[str, Any]:
            return self._create(factory, inputs, reads)

        if cleanup and is_async:

            async def async_generator(**inputs: Any) -> Any:
                await asyncio.sleep(0)
                value = create(factory, inputs)
                log.append(f"{label}_opened")
                try:
                    yield value
                finally:  # the request's failure, if any, is raised at the yield
                    log.append(f"{label}_closed")

            return async_generator
        if cleanup:

            def generator(**inputs: Any) -> Any:
                value = create(factory, inputs)
                log.append(f"{label}_opened")
                try:
                    yield value
                finally:  # the request's failure, if any, is raised at the yield
                    log.append(f"{label}_closed")

            return generator
        if is_async:

            async def coroutine(**inputs: Any) -> Any:
                await asyncio.sleep(0)
                return create(factory, inputs)

            return coroutine

        def function(**inputs: Any) -> Any:
            return create(factory, inputs)

        return function


def configure(f: Fixture, app: Spikard) -> dict[str, Any]:
    """Register the fixture's app-level dependencies (and its state route) on ``app``; the
    route's options (its overrides, deferred graph errors)."""
    log: list[str] = []
    for name, definition in (f.handler.get("dependencies") or {}).items():
        app.provide(name, _Registration(f, name, definition, log).provide())
    overrides = {
        name: _Registration(f, name, definition, log).provide()
        for name, definition in (f.handler.get("route_overrides") or {}).items()
    }
    bg = f.data.get("background")
    if isinstance(bg, dict) and isinstance(bg.get("state_path"), str):
        key = bg.get("state_key") if isinstance(bg.get("state_key"), str) else "events"

        def read_state() -> dict[str, Any]:
            return {key: list(log)}

        app.add_route("GET", bg["state_path"], read_state)
    # ``run_dependencies`` as FastAPI's ``dependencies=[Depends(check)]``: the registrations
    # themselves, run for every request though the handler does not take them.
    registered = {**app.dependencies, **overrides}
    run = [registered[name] for name in names(f.handler.get("run_dependencies")) if name in registered]
    return {"dependencies": [overrides, *run], "defer_dependency_errors": True}


def handler_parameters(f: Fixture, app: Spikard) -> list[inspect.Parameter]:
    """The handler's dependency parameters: by name, annotated with the expected JSON types,
    or (injection by type) under other names, annotated with the registered values' classes."""
    needs = handler_needs(f)
    if f.handler.get("injection_strategy") == "type":
        classes = {name: provide.provides() for name, provide in app.dependencies.items()}
        params = []
        for i, name in enumerate(needs):
            cls = classes.get(name)
            if cls is None:
                params += keyword_parameters([name])
            else:
                params.append(inspect.Parameter(f"injected_{i}", inspect.Parameter.KEYWORD_ONLY, annotation=cls))
        return params
    expected = {
        name: JSON_CLASSES[t]
        for name, t in (f.handler.get("expected_types") or {}).items()
        if isinstance(t, str) and t in JSON_CLASSES
    }
    registered = set(app.dependencies) | set(f.handler.get("route_overrides") or {})
    return keyword_parameters(needs, expected, registered)


def build(f: Fixture, app: Spikard) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """The handler and route options of a DI fixture without hooks (``hooks`` builds DI
    fixtures with hooks)."""
    if not has_dependencies(f):
        return None
    options = configure(f, app)
    app_answers = application_answers(f)
    keep_headers = not configures_middleware(f)

    returns = f.handler.get("returns_dependency")

    def handler(**deps: Any) -> Any:
        if isinstance(returns, str):  # the handler answers with that dependency's value
            return deps[returns]
        return app_response(f.expected, keep_headers) if app_answers else {"handler_called": True}

    return keyword_function(handler, handler_parameters(f, app), "di_handler"), options


def after_check(f: Fixture) -> Callable[[TestClient], list[str]] | None:
    """After the request: the state log at ``background.state_path`` must equal ``expected_state``."""
    bg = f.data.get("background")
    if not has_dependencies(f) or not isinstance(bg, dict) or not isinstance(bg.get("state_path"), str):
        return None
    path = bg["state_path"]
    key = bg.get("state_key") if isinstance(bg.get("state_key"), str) else "events"
    expected = bg.get("expected_state")

    def check(client: TestClient) -> list[str]:
        got = client.get(path).json().get(key)
        return [] if got == expected else [f"state {path} {key} = {got}, expected {expected}"]

    return check
