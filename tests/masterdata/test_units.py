from decimal import Decimal

import pytest

from integrations.errors import ApplicationError
from masterdata.services import conversion_upsert
from masterdata.units import UnitConverter, convert_quantity
from tests.factories import ItemFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    return {
        "EA": UnitFactory(code="EA", name="Each", dimension="count"),
        "BOX": UnitFactory(code="BOX", name="Box", dimension="count"),
        "PAL": UnitFactory(code="PAL", name="Pallet", dimension="count"),
        "G": UnitFactory(code="G", name="Gram", dimension="mass"),
        "KG": UnitFactory(code="KG", name="Kilogram", dimension="mass"),
        "T": UnitFactory(code="T", name="Tonne", dimension="mass"),
    }


def test_item_conversion_wins_over_global(units):
    # given a global box of 10 and this item's own box of 12
    bolt = ItemFactory(code="BOLT-M8", base_uom=units["EA"])
    conversion_upsert(from_uom="BOX", to_uom="EA", factor=Decimal("10"))
    conversion_upsert(from_uom="BOX", to_uom="EA", factor=Decimal("12"), item=bolt)
    other = ItemFactory(code="NUT-M8", base_uom=units["EA"])

    # then the item's own conversion is used for it, the global one for the other item
    assert convert_quantity(item=bolt, quantity=Decimal("3"), from_uom="BOX") == Decimal("36")
    assert convert_quantity(item=other, quantity=Decimal("3"), from_uom="BOX") == Decimal("30")


def test_conversion_is_used_in_both_directions(units):
    steel = ItemFactory(code="STEEL-SHEET", base_uom=units["KG"])
    conversion_upsert(from_uom="KG", to_uom="G", factor=Decimal("1000"))

    assert convert_quantity(item=steel, quantity=Decimal("2500"), from_uom="G") == Decimal("2.5")


def test_global_conversions_chain(units):
    # given only g→kg and t→kg, a tonne still converts to grams
    steel = ItemFactory(code="STEEL-COIL", base_uom=units["G"])
    conversion_upsert(from_uom="KG", to_uom="G", factor=Decimal("1000"))
    conversion_upsert(from_uom="T", to_uom="KG", factor=Decimal("1000"))

    assert convert_quantity(item=steel, quantity=Decimal("1.5"), from_uom="T") == Decimal("1500000")


def test_item_conversion_chains_through_global(units):
    # given 1 pallet = 40 boxes globally and this item's box of 12
    bolt = ItemFactory(code="BOLT-M10", base_uom=units["EA"])
    conversion_upsert(from_uom="PAL", to_uom="BOX", factor=Decimal("40"))
    conversion_upsert(from_uom="BOX", to_uom="EA", factor=Decimal("12"), item=bolt)

    assert convert_quantity(item=bolt, quantity=Decimal("1"), from_uom="PAL") == Decimal("480")


def test_same_unit_needs_no_conversion(units):
    bolt = ItemFactory(code="BOLT-M12", base_uom=units["EA"])
    assert convert_quantity(item=bolt, quantity=Decimal("7"), from_uom="EA") == Decimal("7")


def test_missing_conversion_names_item_and_units(units):
    bolt = ItemFactory(code="BOLT-M8", base_uom=units["EA"])

    with pytest.raises(ApplicationError) as error:
        convert_quantity(item=bolt, quantity=Decimal("1"), from_uom="KG")

    assert "KG" in error.value.message and "EA" in error.value.message
    assert "BOLT-M8" in error.value.message
    assert error.value.extra["field"] == "uom"


def test_conversion_refuses_zero_factor_and_same_units(units):
    with pytest.raises(ApplicationError, match="positive"):
        conversion_upsert(from_uom="BOX", to_uom="EA", factor=Decimal("0"))
    with pytest.raises(ApplicationError, match="two different units"):
        conversion_upsert(from_uom="EA", to_uom="EA", factor=Decimal("1"))
    with pytest.raises(ApplicationError, match="Unknown unit of measure 'CASE'"):
        conversion_upsert(from_uom="CASE", to_uom="EA", factor=Decimal("6"))


def test_converter_converts_many_without_queries(units, django_assert_num_queries):
    bolt = ItemFactory(code="BOLT-M8", base_uom=units["EA"])
    conversion_upsert(from_uom="BOX", to_uom="EA", factor=Decimal("12"), item=bolt)
    converter = UnitConverter.load()

    with django_assert_num_queries(0):
        total = sum(
            converter.convert(
                Decimal(n), item_id=bolt.pk, item_code=bolt.code, from_uom="BOX", to_uom="EA"
            )
            for n in range(100)
        )
    assert total == Decimal(12 * sum(range(100)))
