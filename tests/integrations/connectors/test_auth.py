"""Authenticating to the partner: API-key header, basic, OAuth2 client credentials (cached, refreshed)."""

import time

import pytest

from integrations.connectors.pull import connector_sync
from integrations.connectors.standin import StandinErp
from integrations.errors import ApplicationError
from integrations.models import SyncRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("api_key", {"secret": "standin-key", "api_key_header": "X-API-Key"}),
        ("basic", {"username": "weft", "secret": "standin-password"}),
    ],
)
def test_a_key_header_or_basic_credentials_authenticate_every_page(make_connector, kind, options):
    with StandinErp(items=60, auth=kind) as erp:
        connector = make_connector(erp=erp, api_options={"auth_kind": kind, **options})

        run = connector_sync(connector=connector)

        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        assert run.records == 60
        assert all(s.status == 200 for s in erp.served)


@pytest.mark.parametrize("kind", ["api_key", "basic", "oauth2"])
def test_wrong_credentials_fail_the_run_and_say_so(make_connector, kind):
    with StandinErp(items=10, auth=kind) as erp:
        connector = make_connector(
            erp=erp,
            api_options={
                "auth_kind": kind,
                "username": "weft-client" if kind == "oauth2" else "weft",
                "secret": "wrong",
                "token_url": erp.token_url if kind == "oauth2" else "",
            },
        )

        run = connector_sync(connector=connector)

        assert run.status == SyncRun.Status.FAILED
        assert "refused" in run.error and "credentials" in run.error, run.error


def oauth_options(erp):
    return {
        "auth_kind": "oauth2",
        "token_url": erp.token_url,
        "username": erp.client_id,
        "secret": erp.client_secret,
    }


def test_an_oauth2_token_is_fetched_once_and_shared_by_later_runs(make_connector):
    with StandinErp(items=120, auth="oauth2") as erp:
        connector = make_connector(erp=erp, api_options=oauth_options(erp))

        first = connector_sync(connector=connector)
        second = connector_sync(connector=connector)

        assert first.status == second.status == SyncRun.Status.SUCCEEDED
        assert first.pages == 3
        assert erp.token_requests == 1


def test_an_oauth2_token_is_refreshed_before_it_expires(make_connector):
    with StandinErp(items=10, auth="oauth2", token_lifetime_seconds=2) as erp:
        connector = make_connector(erp=erp, api_options=oauth_options(erp))
        connector_sync(connector=connector)

        time.sleep(1.1)  # a 2 s token is kept for half its life
        run = connector_sync(connector=connector)

        assert run.status == SyncRun.Status.SUCCEEDED
        assert erp.token_requests == 2
        assert not any(s.status == 401 for s in erp.served)


def test_a_token_the_partner_revoked_is_replaced_after_one_401(make_connector):
    with StandinErp(items=10, auth="oauth2") as erp:
        connector = make_connector(erp=erp, api_options=oauth_options(erp))
        connector_sync(connector=connector)
        erp.revoke_tokens()

        run = connector_sync(connector=connector)

        assert run.status == SyncRun.Status.SUCCEEDED
        assert erp.token_requests == 2
        assert [s.status for s in erp.requests_to("/items")][-2:] == [401, 200]


def test_an_incomplete_set_up_is_refused_naming_the_field(erp_eu):
    from integrations.connectors.services import partner_api_configure

    with pytest.raises(ApplicationError) as refused:
        partner_api_configure(
            system=erp_eu, base_url="https://erp.example.com/api", auth_kind="oauth2", secret="x"
        )

    assert refused.value.extra == {"field": "token_url", "value": ""}


def test_a_metadata_address_is_refused_as_base_url(erp_eu):
    from integrations.connectors.services import partner_api_configure

    with pytest.raises(ApplicationError) as refused:
        partner_api_configure(system=erp_eu, base_url="http://169.254.169.254/latest")

    assert refused.value.extra["field"] == "base_url"
