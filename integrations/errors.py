"""The one domain error every layer raises; DRF renders it as a JSON problem, HTMX as a form error."""

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the request; `extra` carries the field and value it concerns."""

    status_code = 400

    def __init__(
        self, message: str, extra: dict[str, Any] | None = None, *, status_code: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code


class OwnershipError(ApplicationError):
    """A system that is not the system of record tried to change an object."""

    status_code = 403


class NotFoundError(ApplicationError):
    status_code = 404
