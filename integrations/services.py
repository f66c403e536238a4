from datetime import datetime

from django.db import transaction
from django.utils import timezone

from integrations.errors import ApplicationError
from integrations.models import ApiKey, ExternalSystem, Ownership
from integrations.scopes import unknown_scopes


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
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key at once; a revoked key never authenticates again."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


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
