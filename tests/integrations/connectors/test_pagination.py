"""Each kind of pagination, against the stand-in over real HTTP: every record once, no page twice."""

import pytest

from integrations.connectors.pull import connector_sync
from integrations.connectors.standin import StandinErp
from integrations.models import InboundMessage, SyncRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "options", "asked"),
    [
        ("page", {}, [{"page": str(n), "per_page": "5"} for n in range(1, 6)]),
        (
            "offset",
            {"size_param": "limit"},
            [{"offset": str(n), "limit": "5"} for n in range(0, 25, 5)],
        ),
        ("cursor", {"size_param": "limit"}, None),
        ("link", {}, None),
    ],
)
def test_every_kind_of_pagination_reads_each_record_once(make_connector, kind, options, asked):
    # given 23 items, read five at a time
    with StandinErp(items=23) as erp:
        connector = make_connector(erp=erp, pagination=kind, page_size=5, **options)

        # when the connector runs
        run = connector_sync(connector=connector)

        # then five pages were read and the 23 items stored once each
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        assert (run.pages, run.records, run.new) == (5, 23, 23)
        assert InboundMessage.objects.filter(system=connector.api.system).count() == 23
        queries = [s.query for s in erp.requests_to("/items")]
        if asked is not None:
            assert queries == asked
        if kind == "cursor":
            assert "cursor" not in queries[0]
            assert len({q.get("cursor") for q in queries}) == 5
        if kind == "link":
            assert [q["page"] for q in queries[1:]] == ["2", "3", "4", "5"]


def test_an_answer_without_the_records_list_fails_the_page_naming_the_path(make_connector):
    with StandinErp(items=3) as erp:
        connector = make_connector(erp=erp, records_path="results")

        run = connector_sync(connector=connector)

        assert run.status == SyncRun.Status.FAILED
        assert "Page 1: no list of records at 'results'" in run.error
