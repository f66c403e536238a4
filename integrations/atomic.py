"""`service_atomic`: a service's transaction, without a savepoint of its own when one encloses it.

A service is `@transaction.atomic`, so called inside another transaction it opens a savepoint:
two round trips (SAVEPOINT, RELEASE) that let its caller catch its error and carry on. The inbox
applies each message inside a savepoint of its own and never carries on inside a message: any
error rolls the whole message back to that savepoint. Inside `enclosing_savepoint()` (the inbox,
around one handler) the first service called runs with `atomic(savepoint=False)`, its writes
guarded by the inbox's savepoint; services that one calls in turn open savepoints as usual, so a
service that catches another's error still can.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import connection, transaction

P = ParamSpec("P")
T = TypeVar("T")
_enclosed: ContextVar[bool] = ContextVar("weft_enclosing_savepoint", default=False)


@contextmanager
def enclosing_savepoint() -> Iterator[None]:
    """Say that the caller holds a savepoint and rolls back to it on any error from inside."""
    if not connection.in_atomic_block:
        raise RuntimeError("enclosing_savepoint() needs an atomic block around it")
    token = _enclosed.set(True)
    try:
        yield
    finally:
        _enclosed.reset(token)


def service_atomic(function: Callable[P, T]) -> Callable[P, T]:
    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        if _enclosed.get() and connection.in_atomic_block:
            token = _enclosed.set(False)
            try:
                with transaction.atomic(savepoint=False):
                    return function(*args, **kwargs)
            finally:
                _enclosed.reset(token)
        with transaction.atomic():
            return function(*args, **kwargs)

    return run
