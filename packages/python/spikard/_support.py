"""The Python pieces the extension uses, registered with it once at import
(``_spikard.register``): the encoder for values that are not builtins, the response and
upload classes it recognises and builds, and small asyncio helpers."""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from spikard import _bodies, _spikard
from spikard.exceptions import HTTPException
from spikard.requests import HookRequest, Request
from spikard.responses import EventSourceResponse, FileResponse, Response, SseEvent, StreamingResponse
from spikard.uploads import UploadFile

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures

# asyncio (and with it ssl, several MB) is imported where it is used: apps without async
# code never load it.

#: The background task runner of the request being handled (set by the extension).
background: contextvars.ContextVar[Any] = contextvars.ContextVar("spikard_background")


async def with_runner(runner: Any, coro: Any) -> Any:
    """Run an async handler's coroutine with ``background`` set inside its own task."""
    background.set(runner)
    return await coro


#: What an iterator's ``next`` (``items``) returns once it is exhausted.
end = object()


class AsyncItems:
    """Pulls an async iterator one item per ``next()`` task on the event loop (real
    coroutines, as ``run_coroutine_threadsafe`` requires) and remembers the last pull, so
    ``aclose()`` can let a cancelled pull settle before closing the iterator (an async
    generator refuses ``aclose()`` while it is running)."""

    __slots__ = ("it", "pull")

    def __init__(self, it: Any) -> None:
        self.it = it
        self.pull: asyncio.Task[Any] | None = None

    async def next(self) -> Any:
        import asyncio  # noqa: PLC0415 - loaded only by apps with async code

        self.pull = asyncio.current_task()
        return await anext(self.it, end)

    def close(self) -> None:
        """Schedule ``aclose()`` on the loop (the extension does not wait for it)."""
        submit(self.aclose())

    async def aclose(self) -> None:
        pull = self.pull
        if pull is not None and not pull.done():
            import asyncio  # noqa: PLC0415 - loaded only by apps with async code

            await asyncio.wait((pull,))
        close = getattr(self.it, "aclose", None)
        if close is None:
            return
        try:
            await close()
        except Exception:
            logging.getLogger("spikard").exception("closing the async iterator of a stream failed")


class SyncItems:
    """Pulls a sync iterator for the core, which calls ``next`` and ``close`` from the pool
    of blocking threads, possibly on two threads at once (the client left during a pull):
    they take turns, as a generator refuses ``close()`` while it is running."""

    __slots__ = ("it", "lock")

    def __init__(self, it: Any) -> None:
        self.it = it
        self.lock = threading.Lock()

    def next(self) -> Any:
        with self.lock:
            return next(self.it, end)

    def close(self) -> None:
        with self.lock:
            self.it.close()


def items(content: Any) -> tuple[Any, Any, bool]:
    """A streamed response's content as ``(next, close, is_async)``, pulled by the core:
    ``next()`` returns ``end`` once exhausted; ``close`` (``None`` when the iterator has
    none) runs when the client goes away first."""
    if hasattr(content, "__aiter__"):
        pulled = AsyncItems(content.__aiter__())
        return pulled.next, pulled.close, True
    sync = SyncItems(iter(content))
    return sync.next, sync.close if hasattr(sync.it, "close") else None, False


def resolve(fut: asyncio.Future[None], error: str | None) -> None:
    """Complete a WebSocket send's future unless it was cancelled."""
    if not fut.done():
        if error is None:
            fut.set_result(None)
        else:
            fut.set_exception(ConnectionError(error))


_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0
_loop_lock = threading.Lock()


def event_loop() -> asyncio.AbstractEventLoop:
    """The loop async functions run on: one per process, on its own daemon thread, started on
    first use (and again in a forked child, where the parent's thread does not run)."""
    import asyncio  # noqa: PLC0415 - loaded only by apps with async code

    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="spikard-asyncio", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def submit(coro: Any) -> concurrent.futures.Future[Any]:
    """Run a coroutine on ``event_loop()``; the extension adds a done-callback to the future."""
    import asyncio  # noqa: PLC0415 - loaded only by apps with async code

    return asyncio.run_coroutine_threadsafe(coro, event_loop())


def first(gen: Any, name: str) -> Any:
    """A generator dependency's first value."""
    try:
        return next(gen)
    except StopIteration:
        raise RuntimeError(f"dependency {name} is a generator that did not yield a value") from None


async def afirst(gen: Any, name: str) -> Any:
    """An async generator dependency's first value."""
    try:
        return await gen.__anext__()
    except StopAsyncIteration:
        raise RuntimeError(f"dependency {name} is a generator that did not yield a value") from None


_log = logging.getLogger("spikard")
_CANCELLED = "the request ended before the handler finished"


#: How a request failed, for a generator dependency's cleanup: the handler's exception,
#: whether it was cancelled, and the core error ``(status, detail, code)`` when no
#: exception reached the dependency.
Failure = tuple[BaseException | None, bool, tuple[int, str, str] | None]


def _thrown(failure: Failure | None) -> BaseException | None:
    """What a generator dependency gets at its ``yield``: the handler's exception, a
    ``CancelledError`` when the request was interrupted, or, when the request failed
    after the dependency was created but without an exception reaching it (a later
    dependency, a hook, validation), an ``HTTPException`` for an HTTP or client error
    and a ``RuntimeError`` otherwise."""
    if failure is None:
        return None
    exception, cancelled, error = failure
    if cancelled:
        import asyncio  # noqa: PLC0415 - loaded only by apps with async code

        return asyncio.CancelledError(_CANCELLED)
    if error is not None:
        status, detail, code = error
        if code == "http-error" or 400 <= status < 500:
            return HTTPException(status, detail)
        return RuntimeError(detail)
    return exception


def finish_generator(gen: Any, name: str, failure: Failure | None) -> None:
    """A generator dependency's cleanup: resume it after the response, with the request's
    failure (see ``_thrown``) raised at its ``yield`` (rollback, not commit). Ending, or
    re-raising what was thrown in, is right; another exception or a second value is logged
    (the response is gone)."""
    thrown = _thrown(failure)
    try:
        gen.throw(thrown) if thrown is not None else next(gen)
    except StopIteration:
        return
    except BaseException as e:
        if e is not thrown:
            _log.exception("handler %s raised an exception", f"{name} (cleanup)")
        return
    _log.error("dependency %s: a generator dependency yielded more than once", name)


async def afinish_generator(gen: Any, name: str, failure: Failure | None) -> None:
    """``finish_generator`` for an async generator."""
    thrown = _thrown(failure)
    try:
        await (gen.athrow(thrown) if thrown is not None else gen.__anext__())
    except StopAsyncIteration:
        return
    except BaseException as e:
        if e is not thrown:
            _log.exception("handler %s raised an exception", f"{name} (cleanup)")
        return
    _log.error("dependency %s: a generator dependency yielded more than once", name)


def cleanup(gen: Any, name: str, is_async: bool) -> Any:
    """A generator dependency's cleanup as the function the core calls with the request's
    failure once the response was sent."""
    return functools.partial(afinish_generator if is_async else finish_generator, gen, name)


_spikard.register(
    encoder=_bodies.to_builtins,
    Response=Response,
    FileResponse=FileResponse,
    StreamingResponse=StreamingResponse,
    EventSourceResponse=EventSourceResponse,
    SseEvent=SseEvent,
    UploadFile=UploadFile,
    Request=Request,
    HookRequest=HookRequest,
    items=items,
    end=end,
    background=background,
    with_runner=with_runner,
    resolve=resolve,
    cleanup=cleanup,
    first=first,
    afirst=afirst,
    event_loop=event_loop,
    submit=submit,
)
