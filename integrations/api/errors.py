"""JSON problems for every API error, naming each field and the value that was sent."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from integrations.errors import ApplicationError

_MISSING = object()


def _value_at(data, path: list):
    current = data
    for part in path:
        try:
            if isinstance(current, list | tuple):
                current = current[int(part)]
            elif hasattr(current, "get"):
                current = current.get(part, _MISSING)
            else:
                return _MISSING
        except (ValueError, IndexError, TypeError):
            return _MISSING
        if current is _MISSING:
            return _MISSING
    return current


def flatten_errors(detail, data, path: list | None = None) -> list[dict]:
    """Turn DRF's nested error detail into a flat list of {field, value, message}."""
    path = path or []
    errors: list[dict] = []
    if isinstance(detail, dict):
        for key, sub in detail.items():
            errors.extend(flatten_errors(sub, data, [*path, key]))
    elif isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
        for message in detail:
            errors.append(_entry(path, data, str(message)))
    elif isinstance(detail, list):
        for index, sub in enumerate(detail):
            if sub:
                errors.extend(flatten_errors(sub, data, [*path, index]))
    else:
        errors.append(_entry(path, data, str(detail)))
    return errors


def _entry(path: list, data, message: str) -> dict:
    field = ".".join(str(p) for p in path if p != "non_field_errors") or None
    entry = {"field": field, "message": message}
    if field:
        value = _value_at(data, [p for p in path if p != "non_field_errors"])
        if value is not _MISSING:
            entry["value"] = value
    return entry


def problem(status_code: int, title: str, detail: str, errors: list[dict] | None = None) -> dict:
    body = {"status": status_code, "title": title, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def problem_exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, ApplicationError):
        errors = [exc.extra] if exc.extra.get("field") else None
        body = problem(exc.status_code, type(exc).__name__, exc.message, errors)
        if exc.extra and not errors:
            body["context"] = exc.extra
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = getattr(request, "data", None) if request is not None else None
        errors = flatten_errors(exc.detail, data if data is not None else {})
        first = errors[0] if errors else {}
        summary = (
            f"{first.get('field')}: {first.get('message')}"
            if first.get("field")
            else first.get("message", "Invalid input.")
        )
        response.data = problem(status.HTTP_400_BAD_REQUEST, "Invalid input", summary, errors)
    else:
        detail = (
            response.data.get("detail", "")
            if isinstance(response.data, dict)
            else str(response.data)
        )
        response.data = problem(response.status_code, type(exc).__name__, str(detail))
    return response
