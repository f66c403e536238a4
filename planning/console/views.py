"""Shared pieces of the console's views. Every view is wrapped by `console_required`."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from integrations.errors import ApplicationError
from planning.console.nav import console_nav


def htmx_partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def console_render(request, template: str, context: dict | None = None, **kwargs):
    """Render a console page with the console nav in its context."""
    return render(
        request, template, {"console_nav": console_nav(request), **(context or {})}, **kwargs
    )


def refused(request, error: ApplicationError) -> HttpResponse:
    """A 4xx naming the field and value: an alert for htmx (console.js shows it), else a page."""
    context = {"error": error, "field": error.extra.get("field"), "value": error.extra.get("value")}
    if htmx_partial(request):
        html = render_to_string("console/partials/refused.html", context, request=request)
        return HttpResponse(html, status=error.status_code)
    return console_render(request, "console/refused.html", context, status=error.status_code)


def messages_oob(request) -> str:
    """The flash messages as an out-of-band swap, for partial answers."""
    return render_to_string(
        "console/partials/messages_oob.html",
        {"messages": messages.get_messages(request)},
        request=request,
    )
