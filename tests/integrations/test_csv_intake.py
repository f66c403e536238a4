from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from integrations.models import InboundMessage
from integrations.services import ownership_set
from masterdata.models import Item
from tests.factories import ExternalSystemFactory, PlantFactory, UnitFactory

pytestmark = pytest.mark.django_db

ITEMS_URL = "/api/v1/inbound/csv/item.upserted/"
FORECAST_URL = "/api/v1/inbound/csv/forecast.published/"
ITEM_HEADER = "code,description,base_uom,item_type,lifecycle,plant,lead_time_days,safety_stock,lot_size_rule,lot_size_quantity"

ITEMS_FILE = (
    f"{ITEM_HEADER}\n"
    "BRK-1001,Brake caliper,EA,buy,active,P100,5,12.5,fixed,100\n"
    "BRK-1001,Brake caliper,EA,buy,active,P200,9,0,lot_for_lot,\n"
    "PAD-2002,Brake pad,EA,make,new,,,,,\n"
)

FORECAST_FILE = (
    "item,period_start,quantity,uom\nBRK-1001,2026-06-01,120,EA\nBRK-1001,2026-06-08,80.5,EA\n"
)


@pytest.fixture
def erp():
    UnitFactory(code="EA")
    PlantFactory(code="P100")
    PlantFactory(code="P200")
    system = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=system)
    return system


@pytest.fixture
def erp_client(erp, partner_key):
    _, raw = partner_key("inbound:write", system=erp)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def send(after_commit, client, url, body, content_type="text/csv"):
    """Post a file and let the request commit, so the queued processing runs (eagerly)."""
    return after_commit(client.post, url, body, content_type=content_type)


def test_rows_of_one_code_merge_into_one_item_with_its_plants_and_are_applied(
    erp_client, after_commit
):
    # given an items file: two rows of BRK-1001 at two plants, one row of PAD-2002 without plant

    # when the ERP sends it
    response = send(after_commit, erp_client, ITEMS_URL, ITEMS_FILE)

    # then two item.upserted messages are stored from three rows and applied
    assert response.status_code == 202
    body = response.json()
    assert body["rows"] == 3
    assert [answer["http_status"] for answer in body["messages"]] == [202, 202]
    caliper, pad = (InboundMessage.objects.get(pk=answer["id"]) for answer in body["messages"])
    assert (caliper.channel, caliper.message_type, caliper.status) == (
        "csv",
        "item.upserted",
        "applied",
    )
    assert caliper.idempotency_key.startswith("csv:") and caliper.idempotency_key.endswith(":2")
    assert pad.idempotency_key.endswith(":4")
    assert caliper.data == {
        "code": "BRK-1001",
        "description": "Brake caliper",
        "base_uom": "EA",
        "item_type": "buy",
        "lifecycle": "active",
        "plants": [
            {
                "plant": "P100",
                "lead_time_days": 5,
                "safety_stock": "12.5",
                "lot_size_rule": "fixed",
                "lot_size_quantity": "100",
            },
            {
                "plant": "P200",
                "lead_time_days": 9,
                "safety_stock": "0",
                "lot_size_rule": "lot_for_lot",
            },
        ],
    }
    item = Item.objects.get(code="BRK-1001")
    plants = {p.plant.code: p for p in item.plants.select_related("plant")}
    assert plants["P100"].safety_stock == Decimal("12.5")
    assert (plants["P100"].lot_size_rule, plants["P100"].lot_size_quantity) == (
        "fixed",
        Decimal("100"),
    )
    assert plants["P200"].lead_time_days == 9
    pad_item = Item.objects.get(code="PAD-2002")
    assert (pad_item.item_type, pad_item.lifecycle, pad_item.plants.count()) == ("make", "new", 0)
    record = Item.history.get(code="PAD-2002")
    assert (record.history_system, record.history_message) == ("ERP-EU", str(pad.pk))


def test_every_bad_row_is_named_with_its_column_and_nothing_is_applied(erp_client, after_commit):
    # given a file with a bad decimal, an unknown lot size rule, a row without code, and a description
    # that disagrees with an earlier row of the same item
    file = (
        f"{ITEM_HEADER}\n"
        "BRK-1001,Brake caliper,EA,buy,active,P100,5,abc,,\n"
        "BRK-1002,Brake disc,EA,buy,active,P100,5,1,weekly,\n"
        ",Orphan,EA,buy,active,,,,,\n"
        "GOOD-1,Fine,EA,buy,active,,,,,\n"
        "BRK-1001,Brake caliper XL,EA,buy,active,P200,5,1,,\n"
    )

    # when it is sent
    response = send(after_commit, erp_client, ITEMS_URL, file)

    # then each error names its spreadsheet row (header is row 1) and column, and nothing is applied
    assert response.status_code == 400
    body = response.json()
    assert [(e["row"], e["field"], e.get("value")) for e in body["errors"]] == [
        (2, "safety_stock", "abc"),
        (3, "lot_size_rule", "weekly"),
        (4, "code", None),
        (6, "description", "Brake caliper XL"),
    ]
    assert "decimal" in body["errors"][0]["message"]
    assert "lot_for_lot, fixed, period" in body["errors"][1]["message"]
    assert body["errors"][3]["message"].startswith(
        "Row 2 gives item BRK-1001 the description 'Brake caliper'"
    )
    assert not Item.objects.exists()
    kept = InboundMessage.objects.get()
    assert (kept.channel, kept.message_type, kept.status) == ("csv", "item.upserted", "rejected")
    assert kept.body == file
    assert kept.errors == body["errors"]
    assert kept.reason.startswith(
        "The file was refused and nothing of it applied. row 2, safety_stock:"
    )


def test_a_byte_order_mark_semicolons_and_crlf_are_read(erp_client, after_commit):
    # given a spreadsheet export: UTF-8 with BOM, ";" separators, CRLF, a comma inside a description
    file = "\ufeffcode;description;base_uom;item_type;lifecycle\r\nBOLT-8;Bolt, M8 zinc;EA;buy;active\r\n"

    # when it is sent
    response = send(after_commit, erp_client, ITEMS_URL, file.encode("utf-8"))

    # then the item is read with its comma and applied
    assert response.status_code == 202
    assert Item.objects.get(code="BOLT-8").description == "Bolt, M8 zinc"


def test_the_same_file_again_repeats_the_first_answers(erp_client, after_commit):
    # given an items file already sent and applied
    first = send(after_commit, erp_client, ITEMS_URL, ITEMS_FILE).json()

    # when the same file is sent again
    again = send(after_commit, erp_client, ITEMS_URL, ITEMS_FILE)

    # then the answers are the first ones with 200, and nothing is stored or applied twice
    assert again.status_code == 200
    assert [a["id"] for a in again.json()["messages"]] == [a["id"] for a in first["messages"]]
    assert {a["http_status"] for a in again.json()["messages"]} == {200}
    assert InboundMessage.objects.count() == 2
    assert Item.history.filter(code="PAD-2002").count() == 1


def test_a_refused_file_sent_again_is_kept_once(erp_client, after_commit):
    # given a file refused once
    file = f"{ITEM_HEADER}\nBRK-1001,Brake caliper,EA,rent,active,,,,,\n"
    send(after_commit, erp_client, ITEMS_URL, file)

    # when it is sent again
    again = send(after_commit, erp_client, ITEMS_URL, file)

    # then it is refused again with its errors, and stored once
    assert again.status_code == 400
    assert again.json()["errors"][0]["field"] == "item_type"
    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("file", "error"),
    [
        ("", {"row": None, "field": None}),
        ("code,description,base_uom,item_type\n", {"row": 1, "field": "lifecycle"}),
        (f"{ITEM_HEADER},colour\n", {"row": 1, "field": "colour"}),
        (f"{ITEM_HEADER}\n", {"row": None, "field": None}),
        (f"{ITEM_HEADER}\nA,B,EA,buy,active,P100,1.5\n", {"row": 2, "field": "lead_time_days"}),
        (f"{ITEM_HEADER}\nA,B,EA,buy,active,P100,1,0,,,,extra\n", {"row": 2, "field": None}),
        (f"{ITEM_HEADER}\nA,B,EA,buy,active,,4\n", {"row": 2, "field": "plant"}),
        (f"{ITEM_HEADER}\nA,B,EA,buy,active,P100\nA,,,,,P100\n", {"row": 3, "field": "plant"}),
        (f'{ITEM_HEADER}\nA,"B,EA,buy\n', {"row": 2, "field": None}),
        (f"{ITEM_HEADER}\nA,B\x00,EA,buy,active\n", {"row": 2, "field": None}),
        (
            f"{ITEM_HEADER}\nA,B,EA,buy,active\n".encode() + b"C,\xff,EA,buy,active\n",
            {"row": 3, "field": None},
        ),
    ],
    ids=[
        "empty",
        "missing-column",
        "unknown-column",
        "no-rows",
        "not-whole",
        "extra-cell",
        "plant-values-without-plant",
        "plant-twice",
        "open-quote",
        "nul",
        "not-utf8",
    ],
)
def test_files_that_cannot_be_read_are_refused_naming_the_row(
    erp_client, after_commit, file, error
):
    # given a file that is broken in one way

    # when it is sent
    response = send(after_commit, erp_client, ITEMS_URL, file)

    # then it is refused naming the row and column, and kept as rejected
    assert response.status_code == 400
    first = response.json()["errors"][0]
    assert {"row": first["row"], "field": first["field"]} == error
    assert InboundMessage.objects.get().status == "rejected"
    assert not Item.objects.exists()


def test_a_forecast_file_is_one_message_headed_by_the_query_parameters(erp_client, after_commit):
    # given a forecast file of two lines

    # when it is sent with its plan, version, plant and bucket (a '&' in the plan sent as %26)
    response = send(
        after_commit,
        erp_client,
        f"{FORECAST_URL}?plan=S%26OP&version=3&plant=P100&bucket=week",
        FORECAST_FILE,
    )

    # then one forecast.published message is stored from the two rows
    assert response.status_code == 202
    assert response.json()["rows"] == 2
    [answer] = response.json()["messages"]
    message = InboundMessage.objects.get(pk=answer["id"])
    assert (message.channel, message.message_type) == ("csv", "forecast.published")
    assert message.data == {
        "plan": "S&OP",
        "version": 3,
        "plant": "P100",
        "bucket": "week",
        "lines": [
            {"item": "BRK-1001", "period_start": "2026-06-01", "quantity": "120", "uom": "EA"},
            {"item": "BRK-1001", "period_start": "2026-06-08", "quantity": "80.5", "uom": "EA"},
        ],
    }


def test_a_forecast_without_its_query_parameters_names_each_missing_one(erp_client, after_commit):
    # given a forecast file and a query string with only the plan, and a stray '&' in it

    # when it is sent
    response = send(after_commit, erp_client, f"{FORECAST_URL}?plan=S&OP", FORECAST_FILE)

    # then the answer names the stray parameter and every missing one; the file is kept as rejected
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [
        (None, "OP"),
        (None, "version"),
        (None, "plant"),
        (None, "bucket"),
    ]
    assert "%26" in errors[0]["message"]
    assert "query parameter version is required" in errors[1]["message"]
    kept = InboundMessage.objects.get()
    assert (kept.message_type, kept.status) == ("forecast.published", "rejected")


def test_forecast_line_errors_name_their_rows(erp_client, after_commit):
    # given a forecast whose second line has a bad date and whose third repeats the first period
    file = (
        "item,period_start,quantity,uom\nA,2026-06-01,1,EA\nA,01/06/2026,2,EA\nA,2026-06-01,3,EA\n"
    )

    # when it is sent with a bucket the contract does not know
    response = send(
        after_commit, erp_client, f"{FORECAST_URL}?plan=S&version=1&plant=P100&bucket=year", file
    )

    # then the bucket and each bad row are named
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [
        (None, "bucket"),
        (3, "period_start"),
        (4, "period_start"),
    ]


def test_the_same_forecast_file_with_another_version_is_another_message(erp_client, after_commit):
    # given a forecast file sent as version 3
    send(
        after_commit,
        erp_client,
        f"{FORECAST_URL}?plan=S&version=3&plant=P100&bucket=week",
        FORECAST_FILE,
    )

    # when the same file is sent as version 4
    response = send(
        after_commit,
        erp_client,
        f"{FORECAST_URL}?plan=S&version=4&plant=P100&bucket=week",
        FORECAST_FILE,
    )

    # then it is a new message, not a conflict with the first
    assert response.status_code == 202
    assert InboundMessage.objects.filter(message_type="forecast.published").count() == 2


def test_other_types_are_not_sent_as_csv(erp_client):
    # given a type the CSV intake does not carry

    # when a file of it is sent
    response = erp_client.post(
        "/api/v1/inbound/csv/bom.upserted/", "parent\n", content_type="text/csv"
    )

    # then the answer is 404 naming the types it carries, and nothing is stored
    assert response.status_code == 404
    assert "item.upserted or forecast.published" in response.json()["detail"]
    assert not InboundMessage.objects.exists()


def test_people_cannot_send_csv_files(api_client, planner, erp):
    # given a planner signed in, not a partner system
    api_client.force_authenticate(planner)

    # when the planner posts an items file
    response = api_client.post(ITEMS_URL, ITEMS_FILE, content_type="text/csv")

    # then it is forbidden and nothing is stored
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_a_key_without_inbound_write_cannot_send_files(partner_key, erp):
    # given a partner key that may only read messages
    _, raw = partner_key("messages:read", system=erp)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    # when it posts an items file, then it is forbidden
    assert client.post(ITEMS_URL, ITEMS_FILE, content_type="text/csv").status_code == 403
