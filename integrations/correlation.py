"""Correlation ids: taken from `X-Correlation-ID` or made, carried through logs, messages and events."""

import contextvars
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

HEADER = "HTTP_X_CORRELATION_ID"
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


def current_correlation_id() -> str | None:
    return _current.get()


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def valid_correlation_id(value: str | None) -> str | None:
    """Accept a caller's id only when it is printable and short enough to store and log."""
    if not value:
        return None
    value = value.strip()
    if 0 < len(value) <= 64 and value.isprintable() and " " not in value:
        return value
    return None


@contextmanager
def correlation_scope(correlation_id: str | None) -> Iterator[str]:
    cid = correlation_id or new_correlation_id()
    token = _current.set(cid)
    try:
        yield cid
    finally:
        _current.reset(token)


class CorrelationIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cid = valid_correlation_id(request.META.get(HEADER)) or new_correlation_id()
        request.correlation_id = cid
        with correlation_scope(cid):
            response = self.get_response(request)
        response["X-Correlation-ID"] = cid
        return response


class CorrelationIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = getattr(record, "correlation_id", None) or _current.get() or "-"
        return True


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, so web and worker logs can be grepped by correlation id."""

    EXTRA_FIELDS = ("correlation_id", "system", "object", "message_id")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value not in (None, "-"):
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
