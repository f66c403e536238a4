"""Mappings are versioned data: tested on a sample before a version is activated, never edited after."""

import pytest

from integrations.connectors.demo import ITEM_MAPPING
from integrations.connectors.mapping import (
    apply_expression,
    mapping_create,
    mapping_version_activate,
    mapping_version_create,
    mapping_version_test,
)
from integrations.connectors.standin import EPOCH, item_record
from integrations.errors import ApplicationError
from integrations.models import Mapping

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapping():
    return mapping_create(
        name="erp-items", direction=Mapping.Direction.INBOUND, message_type="item.upserted"
    )


def test_a_version_is_activated_only_after_its_sample_passed(mapping):
    # given a version that forgets the base unit
    broken = mapping_version_create(
        mapping=mapping,
        expression="{code: material, item_type: 'buy'}",
        sample_payload=item_record(3, EPOCH),
    )

    # then it cannot be activated untested, nor after its test failed
    with pytest.raises(ApplicationError, match="not tested since its last change"):
        mapping_version_activate(version=broken)
    tested = mapping_version_test(version=broken)
    assert tested.test_errors[0]["field"] == "data.base_uom"
    with pytest.raises(ApplicationError, match=r"its test failed: data\.base_uom"):
        mapping_version_activate(version=tested)

    # when a corrected version passes its test
    fixed = mapping_version_test(
        version=mapping_version_create(
            mapping=mapping, expression=ITEM_MAPPING, sample_payload=item_record(3, EPOCH)
        )
    )
    assert fixed.test_errors == []
    assert fixed.tested_output["code"] == "SM-000003"

    # then it is the active one, and the mapping's history shows the switch
    mapping = mapping_version_activate(version=fixed)
    assert (mapping.active_version, fixed.number) == (fixed, 2)
    assert mapping.history.first().active_version_id == fixed.pk


def test_a_version_edited_after_its_test_must_be_tested_again(mapping):
    version = mapping_version_test(
        version=mapping_version_create(
            mapping=mapping, expression=ITEM_MAPPING, sample_payload=item_record(3, EPOCH)
        )
    )
    version.expression = ITEM_MAPPING.replace("description: text", "description: material")
    version.save()

    with pytest.raises(ApplicationError, match="not tested since its last change"):
        mapping_version_activate(version=version)
    assert version.history.count() == 3  # created, tested, edited


def test_an_invalid_expression_is_refused_naming_the_field(mapping):
    with pytest.raises(ApplicationError) as refused:
        mapping_version_create(mapping=mapping, expression="{code: ", sample_payload={})

    assert refused.value.extra["field"] == "expression"


def test_a_mapping_for_an_unknown_message_type_is_refused():
    with pytest.raises(ApplicationError) as refused:
        mapping_create(name="x", direction="inbound", message_type="item.created")

    assert refused.value.extra == {"field": "message_type", "value": "item.created"}


def test_nulls_are_left_out_and_enumerations_are_translated():
    record = item_record(10, EPOCH) | {"text": None, "status": "NEW"}

    data = apply_expression(ITEM_MAPPING, record)

    assert "description" not in data
    assert (data["item_type"], data["lifecycle"]) == ("make", "new")
    assert data["plants"][0]["lot_size_rule"] == "lot_for_lot"
