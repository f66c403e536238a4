"""Connectors in the admin: mappings edited and activated there, runs asked for there, secrets hidden."""

import pytest
from django.urls import reverse

from integrations.connectors.demo import ITEM_MAPPING
from integrations.connectors.mapping import mapping_version_create
from integrations.connectors.standin import EPOCH, item_record
from integrations.models import MappingVersion, PartnerApi, SyncRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def test_every_connector_page_of_the_admin_renders(admin_client, make_connector):
    connector = make_connector()
    version = connector.mapping.active_version
    pages = [
        reverse("admin:integrations_partnerapi_changelist"),
        reverse("admin:integrations_partnerapi_change", args=[connector.api.pk]),
        reverse("admin:integrations_mapping_change", args=[connector.mapping.pk]),
        reverse("admin:integrations_mappingversion_change", args=[version.pk]),
        reverse("admin:integrations_mappingversion_add"),
        reverse("admin:integrations_connector_change", args=[connector.pk]),
        reverse("admin:integrations_syncrun_changelist"),
        reverse("admin:integrations_apicall_changelist"),
        reverse("admin:integrations_apicallmessage_changelist"),
        reverse("admin:integrations_externalreference_changelist"),
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page


def test_a_new_version_is_added_tested_and_activated_in_the_admin(admin_client, item_mapping):
    # when an administrator adds a version with a corrected description
    expression = ITEM_MAPPING.replace("description: text", "description: join(' ', [text, unit])")
    response = admin_client.post(
        reverse("admin:integrations_mappingversion_add"),
        {
            "mapping": item_mapping.pk,
            "expression": expression,
            "sample_payload": '{"material": "M-1", "text": "Bolt", "unit": "EA", '
            '"procurement_type": "F", "status": "ACTIVE", "plants": []}',
        },
    )
    assert response.status_code == 302
    version = MappingVersion.objects.get(mapping=item_mapping, number=2)

    # and tries to activate it before testing: refused
    changelist = reverse("admin:integrations_mappingversion_changelist")
    admin_client.post(changelist, {"action": "activate", "_selected_action": [version.pk]})
    item_mapping.refresh_from_db()
    assert item_mapping.active_version.number == 1

    # then tests it and activates it
    admin_client.post(changelist, {"action": "test_sample", "_selected_action": [version.pk]})
    admin_client.post(changelist, {"action": "activate", "_selected_action": [version.pk]})
    item_mapping.refresh_from_db()
    assert item_mapping.active_version == version
    version.refresh_from_db()
    assert version.tested_output["description"] == "Bolt EA"
    assert version.history.first().history_user.username == "admin"


def test_an_activated_version_cannot_be_edited_in_the_admin(admin_client, item_mapping):
    version = item_mapping.active_version

    response = admin_client.post(
        reverse("admin:integrations_mappingversion_change", args=[version.pk]),
        {"expression": "{code: id}", "sample_payload": "{}"},
    )

    version.refresh_from_db()
    assert version.expression == ITEM_MAPPING
    assert response.status_code in (200, 302)


def test_an_invalid_expression_is_shown_as_a_form_error(admin_client, item_mapping):
    response = admin_client.post(
        reverse("admin:integrations_mappingversion_add"),
        {"mapping": item_mapping.pk, "expression": "{code: ", "sample_payload": "{}"},
    )

    assert response.status_code == 200
    assert "not valid JMESPath" in response.content.decode()


def test_the_secret_is_never_shown_and_kept_when_left_empty(admin_client, make_connector):
    api = make_connector(api_options={"auth_kind": "api_key", "secret": "top-secret-value"}).api
    url = reverse("admin:integrations_partnerapi_change", args=[api.pk])

    page = admin_client.get(url).content.decode()
    assert "top-secret-value" not in page

    form = {
        "system": api.system.pk,
        "base_url": api.base_url,
        "auth_kind": "api_key",
        "api_key_header": "X-Partner-Key",
        "username": "",
        "secret": "",
        "token_url": "",
        "scope": "",
        "timeout_seconds": 7,
        "requests_per_second": 3,
        "requests_per_day": 0,
        "max_concurrency": 2,
        "failure_threshold": 5,
        "probe_after_seconds": 60,
    }
    assert admin_client.post(url, form).status_code == 302
    api = PartnerApi.objects.get(pk=api.pk)
    assert (api.secret, api.api_key_header, api.timeout_seconds) == (
        "top-secret-value",
        "X-Partner-Key",
        7,
    )
    assert "secret" not in {f.name for f in api.history.model._meta.fields}


def test_run_now_in_the_admin_runs_the_connector(admin_client, make_connector, after_commit):
    connector = make_connector()
    changelist = reverse("admin:integrations_connector_changelist")

    after_commit(
        admin_client.post,
        changelist,
        {"action": "full_resync", "_selected_action": [connector.pk]},
    )

    run = SyncRun.objects.get(connector=connector)
    assert (run.status, run.trigger, run.full_resync, run.records) == (
        "succeeded",
        "admin",
        True,
        120,
    )


def test_a_version_for_a_sample_is_listed_with_its_state(admin_client, item_mapping):
    mapping_version_create(
        mapping=item_mapping, expression=ITEM_MAPPING, sample_payload=item_record(2, EPOCH)
    )

    page = admin_client.get(reverse("admin:integrations_mapping_change", args=[item_mapping.pk]))

    assert "edit, test, activate" in page.content.decode()
