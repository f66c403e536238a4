from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations import webhooks
from integrations.errors import ApplicationError
from integrations.models import ApiKey, ExternalSystem, Ownership, SecurityEvent, Subscription
from integrations.scopes import unknown_scopes
from integrations.security import security_event_record

# Long enough for a partner to roll a new key or secret out; short enough that a leaked one dies.
MAX_ROTATION_OVERLAP = timedelta(days=30)


@transaction.atomic
def external_system_register(
    *, code: str, name: str, kind: str, enabled: bool = True
) -> ExternalSystem:
    """Register a partner system, or update its name, kind and state when it exists."""
    if kind not in ExternalSystem.Kind.values:
        raise ApplicationError(
            f"kind '{kind}' is not one of {', '.join(ExternalSystem.Kind.values)}.",
            {"field": "kind", "value": kind},
        )
    system, _ = ExternalSystem.objects.update_or_create(
        code=code, defaults={"name": name, "kind": kind, "enabled": enabled}
    )
    return system


@transaction.atomic
def api_key_create(
    *,
    system: ExternalSystem,
    scopes: list[str],
    name: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Make a key for a system; return it with the raw key, which is never stored or shown again."""
    unknown = unknown_scopes(scopes)
    if unknown:
        raise ApplicationError(
            f"Unknown scope '{unknown[0]}'.", {"field": "scopes", "value": unknown[0]}
        )
    if not scopes:
        raise ApplicationError("A key needs at least one scope.", {"field": "scopes", "value": []})
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError(
            "The expiry must be in the future.",
            {"field": "expires_at", "value": expires_at.isoformat()},
        )
    raw = ApiKey.generate()
    key = ApiKey.objects.create(
        system=system,
        name=name,
        prefix=raw[5 : 5 + ApiKey.PREFIX_LENGTH],
        hashed_key=ApiKey.hash(raw),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    security_event_record(
        kind=SecurityEvent.Kind.KEY_CREATED,
        api_key=key,
        detail={"prefix": key.prefix, "scopes": key.scopes, "name": name},
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key at once; a revoked key never authenticates again."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        security_event_record(
            kind=SecurityEvent.Kind.KEY_REVOKED, api_key=key, detail={"prefix": key.prefix}
        )
    return key


def _checked_overlap(overlap: timedelta) -> timedelta:
    if overlap < timedelta(0) or overlap > MAX_ROTATION_OVERLAP:
        raise ApplicationError(
            f"The overlap must be between 0 and {MAX_ROTATION_OVERLAP.days} days.",
            {"field": "overlap", "value": str(overlap)},
        )
    return overlap


@transaction.atomic
def api_key_rotate(
    *, key: ApiKey, overlap: timedelta, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Give a key's system a new key with the same scopes; the old one works for `overlap` more."""
    _checked_overlap(overlap)
    key = ApiKey.objects.select_for_update().select_related("system").get(pk=key.pk)
    if not key.is_usable():
        raise ApplicationError(
            "Only a usable key can be rotated; create a new one instead.",
            {"field": "key", "value": key.prefix},
        )
    new_key, raw = api_key_create(
        system=key.system, scopes=key.scopes, name=key.name, expires_at=expires_at
    )
    ends_at = timezone.now() + overlap
    if key.expires_at is None or key.expires_at > ends_at:
        key.expires_at = ends_at
        key.save(update_fields=["expires_at"])
    security_event_record(
        kind=SecurityEvent.Kind.KEY_ROTATED,
        api_key=key,
        detail={
            "prefix": key.prefix,
            "new_prefix": new_key.prefix,
            "old_key_expires_at": key.expires_at.isoformat(),
        },
    )
    return new_key, raw


@transaction.atomic
def subscription_secret_rotate(*, subscription: Subscription, overlap: timedelta) -> str:
    """Give a subscription a new signing secret; deliveries carry both signatures for `overlap`."""
    _checked_overlap(overlap)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    secret = webhooks.new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = timezone.now() + overlap
    subscription.secret = secret
    subscription.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    security_event_record(
        kind=SecurityEvent.Kind.WEBHOOK_SECRET_ROTATED,
        system=subscription.system,
        detail={
            "subscription": subscription.pk,
            "previous_secret_expires_at": subscription.previous_secret_expires_at.isoformat(),
        },
    )
    return secret


@transaction.atomic
def ownership_set(*, object_type: str, system: ExternalSystem | None) -> Ownership:
    """Make `system` (None: Weft) the system of record of an object type."""
    if object_type not in Ownership.OBJECT_TYPES:
        raise ApplicationError(
            f"Unknown object type '{object_type}'.", {"field": "object_type", "value": object_type}
        )
    row, _ = Ownership.objects.update_or_create(
        object_type=object_type, defaults={"system": system}
    )
    return row
