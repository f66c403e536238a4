"""Configuring connectors: the partner API, a pull connector, and which connectors are due."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.connectors.auth import auth_check
from integrations.errors import ApplicationError
from integrations.models import Connector, ExternalSystem, Mapping, PartnerApi
from integrations.webhooks import refuse_unsafe_url


@transaction.atomic
def partner_api_configure(
    *,
    system: ExternalSystem,
    base_url: str,
    auth_kind: str = PartnerApi.AuthKind.NONE,
    username: str = "",
    secret: str = "",
    token_url: str = "",
    api_key_header: str = "X-API-Key",
    scope: str = "",
    **limits,
) -> PartnerApi:
    """Set where and how Weft calls a system's API (and how hard); create it the first time."""
    refuse_unsafe_url(base_url, field="base_url", resolve=False)
    if token_url:
        refuse_unsafe_url(token_url, field="token_url", resolve=False)
    auth_check(auth_kind=auth_kind, username=username, secret=secret, token_url=token_url)
    unknown = set(limits) - {
        "timeout_seconds",
        "requests_per_second",
        "requests_per_day",
        "max_concurrency",
        "failure_threshold",
        "probe_after_seconds",
    }
    if unknown:
        name = sorted(unknown)[0]
        raise ApplicationError(f"Unknown setting '{name}'.", {"field": name, "value": name})
    api, _ = PartnerApi.objects.update_or_create(
        system=system,
        defaults={
            "base_url": base_url,
            "auth_kind": auth_kind,
            "username": username,
            "secret": secret,
            "token_url": token_url,
            "api_key_header": api_key_header,
            "scope": scope,
            **limits,
        },
    )
    return api


@transaction.atomic
def connector_create(*, api: PartnerApi, resource: str, path: str, mapping: Mapping, **options):
    """Add a pull connector for one resource of a partner API."""
    if mapping.direction != Mapping.Direction.INBOUND:
        raise ApplicationError(
            f"Mapping {mapping.name} maps outbound events; a pull connector needs an inbound one.",
            {"field": "mapping", "value": mapping.name},
        )
    if Connector.objects.filter(api=api, resource=resource).exists():
        raise ApplicationError(
            f"{api.system.code} has a {resource} connector already.",
            {"field": "resource", "value": resource},
        )
    pagination = options.get("pagination", Connector.Pagination.PAGE)
    if pagination not in Connector.Pagination.values:
        raise ApplicationError(
            f"pagination '{pagination}' is not one of {', '.join(Connector.Pagination.values)}.",
            {"field": "pagination", "value": pagination},
        )
    connector = Connector(api=api, resource=resource, path=path, mapping=mapping, **options)
    connector.full_clean(exclude=["api", "mapping"])
    connector.save()
    return connector


def connectors_due_claim(*, now=None) -> list[int]:
    """The enabled connectors whose next run is due, each claimed by moving its next run on.

    The claim is one conditional UPDATE per connector, so two beats (or a beat that ran late)
    never queue the same run twice.
    """
    now = now or timezone.now()
    due = Connector.objects.filter(enabled=True, api__system__enabled=True).filter(
        Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)
    )
    claimed = []
    for connector_id, next_run_at, every in due.values_list(
        "id", "next_run_at", "schedule_seconds"
    ):
        # Not save(): the schedule's bookkeeping is no configuration change to keep history of.
        if Connector.objects.filter(pk=connector_id, next_run_at=next_run_at).update(
            next_run_at=now + timedelta(seconds=every)
        ):
            claimed.append(connector_id)
    return claimed
