"""Small formatting filters for the planner console."""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def age(moment: datetime | None, now: datetime | None = None) -> str:
    """A compact age for dense tables: 45m, 5h, 3d, 7w (also a time-to-go: `now|age:due`)."""
    if moment is None:
        return ""
    seconds = max(((now or timezone.now()) - moment).total_seconds(), 0)
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)}h"
    if seconds < 86400 * 60:
        return f"{int(seconds // 86400)}d"
    return f"{int(seconds // (86400 * 7))}w"


@register.filter
def days_between(later, earlier) -> int | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).days


@register.filter
def words(name: str) -> str:
    """A snake_case key as words: correlation_id → correlation id."""
    return str(name).replace("_", " ")
