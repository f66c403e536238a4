"""The circuit breaker: opens after repeated failures, tells the planners, probes, resumes, loses nothing."""

import time

import pytest

from integrations.connectors.pull import connector_sync
from integrations.models import Event, InboundMessage, PartnerApi, SyncRun

pytestmark = pytest.mark.django_db


def test_the_circuit_opens_probes_and_closes_with_nothing_lost(make_connector, standin):
    # given a partner that fails every call, and a breaker opening after three failures
    connector = make_connector(
        page_attempts=5,
        api_options={"failure_threshold": 3, "probe_after_seconds": 1},
    )
    standin.outage(500)

    # when a run meets the outage
    failed = connector_sync(connector=connector)

    # then the circuit opened after the third failure and the run stopped there
    api = PartnerApi.objects.get(pk=connector.api.pk)
    assert api.circuit == PartnerApi.Circuit.OPEN
    assert api.consecutive_failures == 3
    assert failed.status == SyncRun.Status.FAILED
    assert "ERP-EU unreachable since" in failed.error
    assert len(standin.served) == 3
    # and an event says so, for the planners' exceptions
    opened = Event.objects.get(event_type="connector.circuit_opened")
    assert opened.data["system"] == "ERP-EU"
    assert opened.data["summary"].startswith("ERP-EU unreachable since ")
    assert opened.aggregate_key == "system:ERP-EU"

    # when the next run comes before the probe is due, it does not call at all
    early = connector_sync(connector=connector)
    assert "unreachable since" in early.error
    assert len(standin.served) == 3

    # when the partner is back and the probe is due
    standin.outage(None)
    time.sleep(1.1)
    resumed = connector_sync(connector=connector)

    # then the probe closed the circuit and the run pulled everything
    assert resumed.status == SyncRun.Status.SUCCEEDED, resumed.error
    api.refresh_from_db()
    assert (api.circuit, api.consecutive_failures) == (PartnerApi.Circuit.CLOSED, 0)
    assert Event.objects.filter(event_type="connector.circuit_closed").count() == 1
    assert InboundMessage.objects.filter(system=connector.api.system).count() == 120


def test_a_failed_probe_opens_the_circuit_again_without_a_second_alarm(make_connector, standin):
    connector = make_connector(
        page_attempts=3, api_options={"failure_threshold": 2, "probe_after_seconds": 1}
    )
    standin.outage(502)
    connector_sync(connector=connector)
    time.sleep(1.1)

    probe = connector_sync(connector=connector)

    api = PartnerApi.objects.get(pk=connector.api.pk)
    assert api.circuit == PartnerApi.Circuit.OPEN
    assert probe.status == SyncRun.Status.FAILED
    assert len(standin.served) == 3  # two failures, then the one probe
    assert Event.objects.filter(event_type="connector.circuit_opened").count() == 1


def test_client_errors_and_429_do_not_count_towards_the_circuit(make_connector, standin):
    connector = make_connector(page_attempts=3, api_options={"failure_threshold": 2})
    standin.fail_next(429, 429, retry_after=0)

    run = connector_sync(connector=connector)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert PartnerApi.objects.get(pk=connector.api.pk).circuit == PartnerApi.Circuit.CLOSED


def test_planners_see_the_outage_as_an_exception_that_closes_when_the_partner_answers(
    make_connector, standin, django_capture_on_commit_callbacks
):
    from planning.models import PlanningException

    connector = make_connector(
        page_attempts=5, api_options={"failure_threshold": 2, "probe_after_seconds": 1}
    )
    standin.outage(500)
    with django_capture_on_commit_callbacks(execute=True):
        connector_sync(connector=connector)

    outage = PlanningException.objects.get(kind="partner_unreachable")
    assert outage.key == "partner_unreachable:ERP-EU" and outage.closed_at is None
    assert outage.summary.startswith("ERP-EU unreachable since ")
    assert outage.severity == PlanningException.Severity.CRITICAL

    standin.outage(None)
    time.sleep(1.1)
    with django_capture_on_commit_callbacks(execute=True):
        connector_sync(connector=connector)
    outage.refresh_from_db()
    assert outage.closed_at is not None
    assert outage.close_reason == "auto-closed: ERP-EU answers again"
