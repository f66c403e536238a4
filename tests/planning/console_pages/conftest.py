"""Clients for the console pages: a planner, a buyer, a supplier user of Acme, a foreign one."""

import pytest
from django.test import Client

from tests.factories import PlannerFactory, SupplierUserFactory
from tests.procurement.conftest import acme, baltic, po  # noqa: F401


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def planner(db):
    return PlannerFactory(username="paula")


@pytest.fixture
def planner_client(planner):
    return signed_in(planner)


@pytest.fixture
def buyer_client(db):
    return signed_in(PlannerFactory(username="bruno", groups=["buyers"]))


@pytest.fixture
def supplier_client(acme):  # noqa: F811
    return signed_in(SupplierUserFactory(username="anna", supplier=acme))


@pytest.fixture
def foreign_client(baltic):  # noqa: F811
    return signed_in(SupplierUserFactory(username="bert", supplier=baltic))


def refused_names(response, field: str, value) -> bool:
    """A 400 answer names the field and the value."""
    text = response.content.decode()
    return response.status_code == 400 and field in text and str(value) in text
