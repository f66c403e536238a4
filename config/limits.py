"""Bodies larger than `WEFT["MAX_REQUEST_BYTES"]` are refused with 413 before anything reads them."""

import json

from django.conf import settings
from django.http import HttpResponse


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
