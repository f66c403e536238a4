"""The forecast API: publish, the approval actions (planners only), diff, accuracy; problems name fields."""

import pytest
from rest_framework.test import APIClient

from integrations.models import Event
from planning.models import ForecastLine, ForecastVersion
from tests.factories import PlannerFactory, UserFactory
from tests.planning.forecast_support import forecast_data, world

pytestmark = pytest.mark.django_db
URL = "/api/v1/forecast-versions/"


@pytest.fixture
def shop(db):
    return world()


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def planner_client(shop):
    return signed_in(PlannerFactory(username="pat"))


def publish(client, **overrides):
    return client.post(URL, forecast_data(**overrides), format="json")


def test_a_planner_publishes_then_approves_and_activates(planner_client, after_commit):
    created = publish(planner_client)
    assert created.status_code == 201, created.json()
    version = created.json()
    assert (version["status"], version["source_system"], version["plant"]) == (
        "submitted",
        "weft",
        "P100",
    )

    approved = planner_client.post(f"{URL}{version['id']}/approve/")
    activated = after_commit(planner_client.post, f"{URL}{version['id']}/activate/")

    assert approved.json()["approved_by"] == "pat"
    assert activated.status_code == 200
    assert activated.json()["status"] == "active"
    assert Event.objects.filter(event_type="forecast.approved").count() == 1


def test_the_detail_carries_the_lines_in_base_units(planner_client):
    version = publish(planner_client).json()

    detail = planner_client.get(f"{URL}{version['id']}/").json()

    assert detail["lines"][0] == {
        "item": "BIKE",
        "period_start": "2026-06-01",
        "quantity": "100.000000",
        "uom": "EA",
    }
    assert len(detail["lines"]) == 3


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ({"quantity": "-5"}, "lines.0.quantity", "-5"),
        ({"item": "NOPE"}, "lines.0.item", "NOPE"),
        ({"period_start": "2026-06-02"}, "lines.0.period_start", "2026-06-02"),
    ],
    ids=["negative quantity", "unknown item", "misaligned period"],
)
def test_bad_input_is_a_400_naming_field_and_value_with_nothing_written(
    planner_client, line, field, value
):
    lines = [{"item": "BIKE", "period_start": "2026-06-01", "quantity": "1", "uom": "EA"} | line]

    response = publish(planner_client, lines=lines)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["value"]) == (field, value)
    assert not ForecastVersion.objects.exists()
    assert not ForecastLine.objects.exists()


def test_approval_is_refused_to_a_buyer_and_to_an_api_key(shop, partner_client, after_commit):
    version = publish(partner_client).json()
    buyer = signed_in(UserFactory(username="bob", groups=["buyers"]))

    by_buyer = buyer.post(f"{URL}{version['id']}/approve/")
    by_key = partner_client.post(f"{URL}{version['id']}/approve/")

    assert by_buyer.status_code == 403
    assert by_buyer.json()["errors"][0] == {"field": "acting_user", "value": "bob"}
    assert by_key.status_code == 403
    assert ForecastVersion.objects.get().status == "submitted"
    assert version["source_system"] == partner_client.system.code


def test_steps_out_of_order_are_a_409_naming_the_status(planner_client):
    version = publish(planner_client).json()

    response = planner_client.post(f"{URL}{version['id']}/activate/")

    assert response.status_code == 409
    assert response.json()["errors"][0] == {"field": "status", "value": "submitted"}


def test_reject_needs_a_reason(planner_client):
    version = publish(planner_client).json()

    missing = planner_client.post(f"{URL}{version['id']}/reject/", {}, format="json")
    rejected = planner_client.post(
        f"{URL}{version['id']}/reject/", {"reason": "too high"}, format="json"
    )

    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "reason"
    assert (rejected.json()["status"], rejected.json()["rejected_reason"]) == (
        "rejected",
        "too high",
    )


def test_a_draft_is_submitted_through_the_api(planner_client, shop):
    from planning.services.forecasts import forecast_upload

    draft = forecast_upload(
        plan="DP",
        plant="P100",
        version=9,
        bucket="week",
        rows=[{"item": "BIKE", "period_start": "2026-06-01", "quantity": "1"}],
        acting_user=PlannerFactory(username="sam"),
    )

    response = planner_client.post(f"{URL}{draft.pk}/submit/")

    assert (response.status_code, response.json()["submitted_by"]) == (200, "pat")


def test_the_diff_against_another_version_with_totals(planner_client):
    first = publish(planner_client).json()
    second = publish(
        planner_client,
        version=2,
        lines=[{"item": "BIKE", "period_start": "2026-06-01", "quantity": "130", "uom": "EA"}],
    ).json()

    diff = planner_client.get(f"{URL}{second['id']}/diff/?against={first['id']}").json()
    changed = planner_client.get(f"{URL}{second['id']}/diff/?against={first['id']}&changed=1")

    assert (diff["total_a"], diff["total_b"], diff["total_difference"]) == (
        "230.000000",
        "130.000000",
        "-100.000000",
    )
    assert [(r["item"], r["period_start"], r["difference"]) for r in diff["rows"]] == [
        ("BIKE", "2026-06-01", "30.000000"),
        ("BIKE", "2026-06-08", "-120.000000"),
        ("TRIKE", "2026-06-01", "-10.000000"),
    ]
    assert len(changed.json()["rows"]) == 3


@pytest.mark.parametrize("against", ["", "abc", "999999"])
def test_the_diff_names_a_bad_against(planner_client, against):
    version = publish(planner_client).json()

    response = planner_client.get(f"{URL}{version['id']}/diff/?against={against}")

    assert response.status_code == 400
    assert response.json()["errors"][0] == {"field": "against", "value": against}


def test_the_list_filters_by_status_in_a_fixed_number_of_queries(
    planner_client, django_assert_max_num_queries
):
    for number in range(1, 6):
        publish(planner_client, version=number)
    ForecastVersion.objects.filter(version="5").update(status="draft")

    with django_assert_max_num_queries(6):
        response = planner_client.get(f"{URL}?status=submitted&plant=P100")

    assert [row["version"] for row in response.json()["results"]] == ["1", "2", "3", "4"]


def test_accuracy_per_version(planner_client):
    response = planner_client.get(f"{URL}accuracy/")

    assert response.status_code == 200
    assert response.json() == []


def test_a_partner_key_without_the_write_scope_cannot_publish(shop, partner_key):
    _, raw = partner_key("planning:read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert client.get(URL).status_code == 200
    assert publish(client).status_code == 403
