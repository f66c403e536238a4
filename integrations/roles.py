"""Who a signed-in person is to Weft: planner or buyer (console), supplier user (portal), admin."""

PLANNERS = "planners"
BUYERS = "buyers"


def is_console_user(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return any(group.name in (PLANNERS, BUYERS) for group in user.groups.all())


def supplier_of(user):
    """The supplier a portal user acts for, or None."""
    if not user.is_authenticated:
        return None
    membership = getattr(user, "supplier_membership", None)
    return membership.supplier if membership else None
