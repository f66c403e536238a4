"""Small helpers shared by the console pages beside the workbench: input reading and paging.

Bad input is refused with an ApplicationError naming the field and the value, which `refused`
turns into a 400 (an alert for htmx, a page otherwise).
"""

import re
from datetime import date

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

from integrations.errors import ApplicationError
from masterdata.models import Item, Plant

PAGE_SIZE = 50


def bad(field: str, value, message: str = "") -> ApplicationError:
    return ApplicationError(
        message or f"{field} {value!r} is not valid.", {"field": field, "value": value}
    )


def choice(params, field: str, choices) -> str:
    value = params.get(field, "")
    if value and value not in choices:
        raise bad(field, value, f"{field} {value!r} is not one of {', '.join(choices)}.")
    return value


def plant_or_none(params, field: str = "plant") -> Plant | None:
    code = params.get(field, "")
    if not code:
        return None
    plant = Plant.objects.filter(code=code).first()
    if plant is None:
        raise bad(field, code, f"No plant {code!r}.")
    return plant


def item_required(params, field: str = "item") -> Item:
    code = params.get(field, "")
    item = Item.objects.filter(code=code).first() if code else None
    if item is None:
        raise bad(field, code, f"No item {code!r}." if code else "Choose an item.")
    return item


def integer(params, field: str, *, required: bool = False) -> int | None:
    value = params.get(field, "")
    if not value and not required:
        return None
    if not re.fullmatch(r"\d{1,12}", value or ""):
        raise bad(field, value, f"{field} {value!r} is not a number.")
    return int(value)


def day(params, field: str) -> date | None:
    value = params.get(field, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad(field, value, f"{field} {value!r} is not a date (YYYY-MM-DD).") from None


def paginate(request, queryset, size: int = PAGE_SIZE):
    paginator = Paginator(queryset, size)
    number = request.GET.get("page", "1")
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger):
        raise bad("page", number, f"There is no page {number!r}.") from None
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def answering_errors(view):
    """Turn an ApplicationError raised anywhere in the view into the console's 4xx answer."""
    from functools import wraps

    from planning.console.views import refused

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return refused(request, error)

    return wrapper
