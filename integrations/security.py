"""Security events: key and secret changes, lockouts and refusals, each kept as a SecurityEvent.

Writes come from the services that change keys and secrets, from the API's scope check, and
from django-axes' lockout signal; the console lists them newest first.
"""

import logging

from django.dispatch import receiver

from integrations.correlation import current_correlation_id
from integrations.models import ApiKey, ExternalSystem, SecurityEvent

logger = logging.getLogger("weft.security")


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def security_event_record(
    *,
    kind: str,
    system: ExternalSystem | None = None,
    api_key: ApiKey | None = None,
    username: str = "",
    request=None,
    detail: dict | None = None,
) -> SecurityEvent:
    """Keep one security event, and log it so it reaches the same place as every other line."""
    event = SecurityEvent.objects.create(
        kind=kind,
        system=system or (api_key.system if api_key is not None else None),
        api_key=api_key,
        username=(username or "")[:150],
        ip_address=client_ip(request),
        path=(request.path[:500] if request is not None else ""),
        correlation_id=current_correlation_id() or "",
        detail=detail or {},
    )
    logger.warning(
        "security event %s",
        kind,
        extra={
            "system": event.system.code if event.system else None,
            "object": f"api_key:{api_key.pk}" if api_key is not None else None,
        },
    )
    return event


def record_lockout(request, username, ip_address, **kwargs) -> None:
    SecurityEvent.objects.create(
        kind=SecurityEvent.Kind.LOGIN_LOCKED_OUT,
        username=(username or "")[:150],
        ip_address=ip_address or client_ip(request),
        path=(request.path[:500] if request is not None else ""),
        correlation_id=current_correlation_id() or "",
    )
    logger.warning("login locked out for %r from %s", username, ip_address)


def connect_lockout_signal() -> None:
    from axes.signals import user_locked_out

    receiver(user_locked_out, dispatch_uid="weft-security-lockout")(record_lockout)
