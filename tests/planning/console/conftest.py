"""Suppliers, a buyer, an issued PO (from the procurement fixtures) and exception helpers."""

import pytest

from planning.exceptions.services import Condition, exception_raise_or_refresh
from planning.models import PlanningException
from tests.procurement.conftest import acme, anon, baltic, buyer, po, portal_user  # noqa: F401

_serial = iter(range(1, 10_000_000))


def make_exception(
    *, kind="shortage", severity=PlanningException.Severity.MEDIUM, key=None, **kwargs
):
    """An open exception raised through the service, as the MRP writer would."""
    key = key or f"{kind}:test:{next(_serial)}"
    summary = kwargs.pop("summary", f"Test condition {key}")
    exception, _ = exception_raise_or_refresh(
        Condition(key=key, kind=kind, severity=severity, summary=summary, **kwargs)
    )
    return exception


@pytest.fixture
def raise_exception(db):
    return make_exception
