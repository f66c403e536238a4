import pytest
from rest_framework.test import APIClient

from integrations.scopes import SCOPES
from integrations.services import api_key_create
from tests.factories import ExternalSystemFactory, PlannerFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def partner_key(db):
    """A factory: (system, raw key) for a partner system holding the given scopes."""

    def make(*scopes: str, system=None, **kwargs):
        system = system or ExternalSystemFactory()
        _, raw = api_key_create(system=system, scopes=list(scopes or SCOPES), **kwargs)
        return system, raw

    return make


@pytest.fixture
def partner_client(partner_key):
    """An API client authenticated as a partner system with every scope."""
    system, raw = partner_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.system = system
    return client


@pytest.fixture
def planner(db):
    return PlannerFactory(username="planner")


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run what the code queues for after commit (task enqueues), as a real commit would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run
