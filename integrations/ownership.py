"""System-of-record rules: one owner per object type; nobody else may change it."""

from integrations.errors import OwnershipError
from integrations.memo import memoized
from integrations.models import Ownership

WEFT = "weft"


def owner_of(object_type: str) -> str:
    """The code of the system of record for `object_type`, or `weft` when Weft owns it."""
    return memoized(("owner_of", object_type), lambda: _read_owner(object_type))


def _read_owner(object_type: str) -> str:
    row = Ownership.objects.filter(object_type=object_type).select_related("system").first()
    return row.system.code if row and row.system else WEFT


def ownership_check(*, object_type: str, writer: str) -> None:
    """Refuse a change to `object_type` from any writer but its system of record.

    `writer` is a system code, or `weft` for people and services acting inside Weft.
    """
    owner = owner_of(object_type)
    if owner != writer:
        raise OwnershipError(
            f"{object_type} is owned by {owner}; {writer} may not change it.",
            {"object_type": object_type, "owner": owner, "writer": writer},
        )
