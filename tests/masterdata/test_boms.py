import itertools
from decimal import Decimal

import pytest

from integrations.errors import ApplicationError
from masterdata.boms import find_cycle, low_level_codes
from masterdata.models import Bom, Item
from masterdata.services import bom_upsert
from tests.factories import ItemFactory, PlantFactory

pytestmark = pytest.mark.django_db


def component(code, quantity="1"):
    return {"item": code, "quantity": Decimal(quantity), "uom": "EA"}


@pytest.fixture
def bike(db):
    """A 4-level bicycle: BIKE → FRAME-ASSY, WHEEL-ASSY → RIM, SPOKE-KIT → SPOKE; FRAME-ASSY → TUBE."""
    plant = PlantFactory(code="P100")
    for code in ["BIKE", "FRAME-ASSY", "WHEEL-ASSY", "SPOKE-KIT", "TUBE", "RIM", "SPOKE"]:
        ItemFactory(code=code)
    bom_upsert(
        parent="BIKE",
        plant="P100",
        revision="A",
        components=[component("FRAME-ASSY"), component("WHEEL-ASSY", "2")],
    )
    bom_upsert(parent="FRAME-ASSY", plant="P100", revision="A", components=[component("TUBE", "3")])
    bom_upsert(
        parent="WHEEL-ASSY",
        plant="P100",
        revision="A",
        components=[component("RIM"), component("SPOKE-KIT")],
    )
    bom_upsert(
        parent="SPOKE-KIT", plant="P100", revision="A", components=[component("SPOKE", "36")]
    )
    return plant


def levels():
    return dict(Item.objects.values_list("code", "low_level_code"))


def test_low_level_codes_of_a_four_level_bom(bike):
    assert levels() == {
        "BIKE": 0,
        "FRAME-ASSY": 1,
        "WHEEL-ASSY": 1,
        "TUBE": 2,
        "RIM": 2,
        "SPOKE-KIT": 2,
        "SPOKE": 3,
    }


def test_an_item_used_at_two_levels_takes_the_deepest(bike):
    # when the tube is also used directly in the spoke kit
    bom_upsert(
        parent="SPOKE-KIT",
        plant="P100",
        revision="A",
        components=[component("SPOKE", "36"), component("TUBE")],
    )

    # then the tube moves down to level 3, with the spoke
    assert levels()["TUBE"] == 3
    assert levels()["SPOKE"] == 3


def test_low_level_codes_recede_when_a_bom_shrinks(bike):
    bom_upsert(parent="WHEEL-ASSY", plant="P100", revision="A", components=[component("RIM")])

    assert levels()["SPOKE-KIT"] == 0
    assert levels()["SPOKE"] == 1  # only under SPOKE-KIT now, which is itself an end item
    assert levels()["RIM"] == 2


def test_a_cycle_is_refused_with_its_path(bike):
    # when the spoke's BOM would contain the wheel assembly
    with pytest.raises(ApplicationError) as error:
        bom_upsert(parent="SPOKE", plant="P100", revision="A", components=[component("WHEEL-ASSY")])

    # then the whole path of the cycle is named and nothing is written
    assert "SPOKE → WHEEL-ASSY → SPOKE-KIT → SPOKE" in error.value.message
    assert error.value.extra["value"] == ["SPOKE", "WHEEL-ASSY", "SPOKE-KIT", "SPOKE"]
    assert not Bom.objects.filter(parent__code="SPOKE").exists()


def test_an_item_in_its_own_bom_is_a_cycle(bike):
    with pytest.raises(ApplicationError, match="TUBE → TUBE"):
        bom_upsert(parent="TUBE", plant="P100", revision="A", components=[component("TUBE")])


def test_cycle_across_plants_is_refused(bike):
    PlantFactory(code="P200")
    with pytest.raises(ApplicationError, match="cycle"):
        bom_upsert(parent="SPOKE", plant="P200", revision="A", components=[component("BIKE")])


def test_bom_errors_name_field_and_value(bike):
    with pytest.raises(ApplicationError) as unknown:
        bom_upsert(parent="BIKE", plant="P100", revision="B", components=[component("SADDLE")])
    assert unknown.value.extra == {"field": "components[0].item", "value": "SADDLE"}

    with pytest.raises(ApplicationError) as twice:
        bom_upsert(
            parent="BIKE",
            plant="P100",
            revision="B",
            components=[component("TUBE"), component("TUBE")],
        )
    assert twice.value.extra["field"] == "components[1].item"

    with pytest.raises(ApplicationError) as zero:
        bom_upsert(parent="BIKE", plant="P100", revision="B", components=[component("TUBE", "0")])
    assert zero.value.extra == {"field": "components[0].quantity", "value": "0"}


def test_graph_functions_on_plain_pairs():
    edges = [(1, 2), (2, 3), (1, 3), (3, 4)]
    assert low_level_codes(edges) == {1: 0, 2: 1, 3: 2, 4: 3}
    path = find_cycle(edges, 4, [1])
    assert path[0] == path[-1] == 4
    assert all(step in [*edges, (4, 1)] for step in itertools.pairwise(path))
    assert find_cycle(edges, 1, [4]) is None
