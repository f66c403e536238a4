"""Lookups shared by the messages an inbox drain applies in a row, so each is read once.

An inbox drain applies many messages of one partition in a row, and most of them look up the
same things again: who owns an object type, the sender's code maps, a BOM's components. Inside
`memo_scope()` (opened by a drain and forgotten every inbox_queue.MEMO_SECONDS) `memoized(key,
compute)` computes each key once; outside a scope it always computes, so the API, the pages and
the eager path read fresh as before.

Only values that no message applied meanwhile changes may be memoized. A handler that changes such
data (master data, ownership, code maps) is registered without `shares_lookups`, and the inbox
forgets everything memoized after each message of such a type, and after any message that
failed, so the next message reads fresh. Memoize plain values or instances nobody mutates.
"""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
_store: ContextVar[dict | None] = ContextVar("weft_memo", default=None)


@contextmanager
def memo_scope() -> Iterator[None]:
    token = _store.set({})
    try:
        yield
    finally:
        _store.reset(token)


def memoized(key: Hashable, compute: Callable[[], T]) -> T:
    store = _store.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def forget_memoized() -> None:
    store = _store.get()
    if store is not None:
        store.clear()
