"""Bodies larger than `WEFT["MAX_REQUEST_BYTES"]` are refused with 413 before anything reads them;
a database that is gone answers 503 with Retry-After."""

import json
import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse

logger = logging.getLogger("weft.availability")


def too_large_response(limit: int, sent: int) -> HttpResponse:
    body = {
        "status": 413,
        "title": "Payload too large",
        "detail": f"The body has {sent} bytes; at most {limit} bytes are accepted.",
        "limit": limit,
        "errors": [{"field": "Content-Length", "value": sent, "message": f"at most {limit}"}],
    }
    return HttpResponse(json.dumps(body), status=413, content_type="application/problem+json")


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.WEFT["MAX_REQUEST_BYTES"]
        try:
            sent = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            sent = 0
        if sent > limit:
            return too_large_response(limit, sent)
        return self.get_response(request)


def unavailable_response(retry_after_seconds: int) -> HttpResponse:
    body = {
        "status": 503,
        "title": "Service unavailable",
        "detail": "The database is not reachable right now; nothing was stored. Retry later.",
    }
    response = HttpResponse(json.dumps(body), status=503, content_type="application/problem+json")
    response["Retry-After"] = str(retry_after_seconds)
    return response


class DatabaseUnavailableMiddleware:
    """A lost database answers 503 with Retry-After, never a 500: partners retry a 503.

    Only connection failures qualify (OperationalError, InterfaceError); an error in our own SQL
    stays a 500 so it is seen and fixed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("database unavailable: %s", exception)
            return unavailable_response(settings.WEFT["UNAVAILABLE_RETRY_AFTER_SECONDS"])
        return None
