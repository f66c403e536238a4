"""Forecast pages: list with filters, detail, diff, the approval buttons and the CSV upload."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from planning.models import ForecastVersion
from planning.services.forecasts import forecast_upload
from tests.planning.console_pages.conftest import refused_names
from tests.planning.forecast_support import MONDAY, world

pytestmark = pytest.mark.django_db

LIST = "/console/planning/forecasts/"


@pytest.fixture
def versions(planner):
    plants = world()
    v1 = forecast_upload(
        plan="DP",
        plant=plants["P100"],
        version="1",
        bucket="week",
        rows=[
            {"item": "BIKE", "period_start": MONDAY.isoformat(), "quantity": "10"},
            {"item": "TRIKE", "period_start": MONDAY.isoformat(), "quantity": "4"},
        ],
        acting_user=planner,
    )
    v2 = forecast_upload(
        plan="DP",
        plant=plants["P100"],
        version="2",
        bucket="week",
        rows=[
            {"item": "BIKE", "period_start": MONDAY.isoformat(), "quantity": "12"},
            {"item": "TRIKE", "period_start": MONDAY.isoformat(), "quantity": "4"},
        ],
        acting_user=planner,
    )
    return v1, v2


def test_the_list_filters_by_plan_plant_and_status(planner_client, versions):
    page = planner_client.get(LIST, {"plan": "DP", "plant": "P100", "status": "draft"})
    assert page.status_code == 200
    assert [v.version for v in page.context["page"]] == ["2", "1"]
    assert list(planner_client.get(LIST, {"status": "active"}).context["page"]) == []


def test_bad_filters_are_refused_naming_field_and_value(planner_client, versions):
    assert refused_names(planner_client.get(LIST, {"status": "bogus"}), "status", "bogus")
    assert refused_names(planner_client.get(LIST, {"plant": "P999"}), "plant", "P999")
    assert refused_names(planner_client.get(LIST, {"page": "99"}), "page", "99")


def test_detail_shows_the_lines(planner_client, versions):
    page = planner_client.get(f"{LIST}{versions[0].pk}/")
    assert page.status_code == 200 and "BIKE" in page.content.decode()


def test_the_diff_per_item_and_period_with_totals_and_changed_only(planner_client, versions):
    v1, v2 = versions
    page = planner_client.get(f"{LIST}diff/", {"a": v1.pk, "b": v2.pk})
    text = page.content.decode()
    assert page.status_code == 200
    assert "BIKE" in text and "TRIKE" in text
    assert page.context["diff"].total_a == Decimal("14")
    assert page.context["diff"].total_b == Decimal("16")
    changed = planner_client.get(f"{LIST}diff/", {"a": v1.pk, "b": v2.pk, "changed": "1"})
    assert [row.item for row in changed.context["page"]] == ["BIKE"]


def test_the_diff_refuses_a_missing_or_unknown_version(planner_client, versions):
    assert refused_names(planner_client.get(f"{LIST}diff/", {"b": versions[1].pk}), "a", "")
    assert refused_names(
        planner_client.get(f"{LIST}diff/", {"a": "x1", "b": versions[1].pk}), "a", "x1"
    )
    assert refused_names(
        planner_client.get(f"{LIST}diff/", {"a": versions[0].pk, "b": 999999}), "b", "999999"
    )


def test_submit_approve_activate_through_the_services(planner_client, versions):
    v1 = versions[0]
    for action in ("submit", "approve", "activate"):
        response = planner_client.post(f"{LIST}{v1.pk}/{action}/")
        assert response.status_code == 302, (action, response.content[:300])
    v1.refresh_from_db()
    assert v1.status == ForecastVersion.Status.ACTIVE


def test_the_actions_swap_in_place_under_htmx(planner_client, versions):
    v1 = versions[0]
    steps = (("submit", "Submitted", "/approve/"), ("approve", "Approved", "/activate/"))
    for action, status, next_action in steps:
        response = planner_client.post(f"{LIST}{v1.pk}/{action}/", HTTP_HX_REQUEST="true")
        assert response.status_code == 200, (action, response.content[:300])
        html = response.content.decode()
        # The next step's button, the status badge and the dates, no page around them.
        assert html.lstrip().startswith('<div id="forecast-actions"') and "<html" not in html
        assert f'hx-post="{LIST}{v1.pk}{next_action}"' in html
        badge = (
            f'class="badge ms-2 weft-status-{status.lower()}" hx-swap-oob="true">{status}</span>'
        )
        assert badge in html
        assert 'id="forecast-facts" hx-swap-oob="true"' in html
        assert f"Forecast DP 1 at P100 {status.lower()}." in html  # the flash message, out of band
    response = planner_client.post(f"{LIST}{v1.pk}/activate/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and ">Active</span>" in html
    assert "hx-post" not in html.split('id="forecast-status"')[0]  # nothing left to do
    v1.refresh_from_db()
    assert v1.status == ForecastVersion.Status.ACTIVE and v1.activated_at is not None


def test_the_detail_page_posts_its_actions_with_htmx_and_without(planner_client, versions):
    v1 = versions[0]
    html = planner_client.get(f"{LIST}{v1.pk}/").content.decode()
    submit = f"{LIST}{v1.pk}/submit/"
    assert f'action="{submit}" hx-post="{submit}" hx-target="#forecast-actions"' in html


def test_a_refused_action_under_htmx_answers_the_alert(planner_client, versions):
    response = planner_client.post(f"{LIST}{versions[0].pk}/approve/", HTTP_HX_REQUEST="true")
    assert response.status_code in (400, 409) and "<html" not in response.content.decode()
    versions[0].refresh_from_db()
    assert versions[0].status == ForecastVersion.Status.DRAFT


def test_a_buyer_may_not_approve_the_service_says_why(buyer_client, planner_client, versions):
    v1 = versions[0]
    planner_client.post(f"{LIST}{v1.pk}/submit/")
    refused = buyer_client.post(f"{LIST}{v1.pk}/approve/")
    assert refused.status_code == 403 and "acting_user" in refused.content.decode()
    v1.refresh_from_db()
    assert v1.status == ForecastVersion.Status.SUBMITTED


def test_reject_needs_a_reason_and_unknown_actions_are_refused(planner_client, versions):
    v1 = versions[0]
    planner_client.post(f"{LIST}{v1.pk}/submit/")
    assert planner_client.post(f"{LIST}{v1.pk}/reject/", {"reason": ""}).status_code == 400
    assert refused_names(planner_client.post(f"{LIST}{v1.pk}/explode/"), "action", "explode")
    assert planner_client.post(f"{LIST}{v1.pk}/reject/", {"reason": "Too high"}).status_code == 302
    v1.refresh_from_db()
    assert v1.status == ForecastVersion.Status.REJECTED and v1.rejected_reason == "Too high"


def test_approving_a_draft_is_refused_by_the_service(planner_client, versions):
    response = planner_client.post(f"{LIST}{versions[0].pk}/approve/")
    assert response.status_code in (400, 409) and "status" in response.content.decode()


def _csv(text: str, name="plan.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_upload_a_csv_makes_a_draft(planner_client, db):
    world()
    response = planner_client.post(
        f"{LIST}upload/",
        {
            "plan": "DP",
            "plant": "P100",
            "version": "7",
            "bucket": "week",
            "file": _csv(f"item,period_start,quantity\nBIKE,{MONDAY.isoformat()},7\n"),
        },
    )
    assert response.status_code == 302
    version = ForecastVersion.objects.get(version="7")
    assert version.status == ForecastVersion.Status.DRAFT
    assert version.lines.get().quantity == Decimal("7")


@pytest.mark.parametrize(
    ("data", "field", "value"),
    [
        ({"bucket": "fortnight"}, "bucket", "fortnight"),
        ({"plant": "P999"}, "plant", "P999"),
        ({"plan": ""}, "plan", ""),
        ({"file": "item,qty\nBIKE,1\n"}, "file", "plan.csv"),
        ({"file": "item,period_start,quantity\nNOPE,2026-06-01,1\n"}, "item", "NOPE"),
    ],
)
def test_bad_uploads_are_refused_and_write_nothing(planner_client, db, data, field, value):
    world()
    post = {
        "plan": "DP",
        "plant": "P100",
        "version": "8",
        "bucket": "week",
        "file": f"item,period_start,quantity\nBIKE,{MONDAY.isoformat()},7\n",
    } | data
    post["file"] = _csv(post["file"])
    response = planner_client.post(f"{LIST}upload/", post)
    assert response.status_code == 400, response.content[:400]
    assert field in response.content.decode() and value in response.content.decode()
    assert not ForecastVersion.objects.filter(version="8").exists()
