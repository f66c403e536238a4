"""The demo's connector: it seeds with or without the stand-in ERP, and pulls when the stand-in runs."""

import socket

import pytest

from integrations.connectors.demo import STANDIN_PORT, configure_standin_connectors, seed_connectors
from integrations.connectors.pull import connector_sync
from integrations.connectors.standin import StandinErp
from integrations.models import ApiCall, Connector, SyncRun
from masterdata.models import Item

pytestmark = pytest.mark.django_db


def standin_port_is_free() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", STANDIN_PORT)) != 0


def test_without_the_stand_in_the_demo_seeds_and_its_run_says_why_it_failed(erp_eu):
    if not standin_port_is_free():
        pytest.skip(f"something listens on {STANDIN_PORT}")

    run = seed_connectors()

    assert run.status == SyncRun.Status.FAILED
    assert "Could not connect" in run.error
    assert f"127.0.0.1:{STANDIN_PORT}" in run.error or "Connection refused" in run.error
    # and seeding again is safe
    seed_connectors()
    assert Connector.objects.count() == ApiCall.objects.count() == 1


def test_with_the_stand_in_running_the_demo_connector_brings_its_items(erp_eu, after_commit):
    with StandinErp(items=30, auth="oauth2") as erp:
        connector = configure_standin_connectors(
            system=erp_eu, base_url=erp.url, token_url=erp.token_url
        )

        run = after_commit(connector_sync, connector=connector, trigger="seed_demo")

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert Item.objects.filter(code__startswith="SM-").count() == 30
