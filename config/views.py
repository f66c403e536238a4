from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from integrations.roles import is_console_user, supplier_of


@login_required
def home(request):
    """Tell a signed-in person where their work is."""
    user = request.user
    destinations = []
    supplier = supplier_of(user)
    if supplier is not None:
        destinations.append(
            {
                "title": f"Supplier portal — {supplier.name}",
                "description": "Purchase orders to acknowledge, proposals and ship notices.",
                "url": _url_or_none("portal:home"),
                "icon_text": "SP",
            }
        )
    if is_console_user(user):
        destinations.append(
            {
                "title": "Planner console",
                "description": "Exceptions to triage, stale acknowledgements, MRP and integrations.",
                "url": _url_or_none("console:home"),
                "icon_text": "PC",
            }
        )
        destinations.append(
            {
                "title": "Partner API",
                "description": "OpenAPI reference for the systems that call Weft.",
                "url": reverse("api-docs"),
                "icon_text": "API",
            }
        )
    if user.is_staff:
        destinations.append(
            {
                "title": "Administration",
                "description": "Master data, systems, API keys, ownership and history.",
                "url": reverse("admin:index"),
                "icon_text": "AD",
            }
        )
    # Offer only what exists: the console and the portal arrive with their own issues.
    destinations = [d for d in destinations if d["url"]]
    return render(request, "home.html", {"destinations": destinations})


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@require_GET
def healthz(request):
    """The process is up; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Ready to take traffic: the database answers and the Celery broker is reachable."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # a readiness probe reports any failure rather than raising
        return f"error: {type(error).__name__}"


def _check_broker() -> str:
    from config.celery import app

    if app.conf.task_always_eager:
        return "ok"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as error:  # a readiness probe reports any failure rather than raising
        return f"error: {type(error).__name__}"
