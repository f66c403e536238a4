"""Console pages. Every view is wrapped by `console_required` (planning/console/access.py)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from planning.console.access import console_required
from planning.console.nav import console_nav


def htmx_partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def console_render(request, template: str, context: dict | None = None, **kwargs):
    """Render a console page with the console nav in its context."""
    return render(
        request, template, {"console_nav": console_nav(request), **(context or {})}, **kwargs
    )


@console_required
@require_GET
def exception_list(request):
    return console_render(request, "console/exceptions/list.html", {})
