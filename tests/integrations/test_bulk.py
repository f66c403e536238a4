"""Many ids at once: `ids_in` for raw SQL and the `in_ids` lookup, on whichever database runs."""

import pytest
from django.db import connection

from integrations.bulk import ids_in
from masterdata.models import Item
from tests.factories import ItemFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def items():
    each = UnitFactory(code="EA")
    return [ItemFactory(code=f"ID-{n}", base_uom=each) for n in range(5)]


def test_in_ids_finds_exactly_the_items_asked_for(items):
    wanted = {items[0].pk, items[3].pk, 10_000_000}  # one id matches nothing

    found = set(Item.objects.filter(pk__in_ids=wanted).values_list("pk", flat=True))

    assert found == {items[0].pk, items[3].pk}


def test_in_ids_of_nothing_finds_nothing(items):
    assert not Item.objects.filter(pk__in_ids=[]).exists()
    assert Item.objects.exclude(pk__in_ids=[]).count() == 5


def test_in_ids_works_through_a_foreign_key(items):
    assert Item.objects.filter(base_uom_id__in_ids=[items[0].base_uom_id]).count() == 5


def test_in_ids_refuses_what_is_not_an_id(items):
    with pytest.raises(ValueError):
        list(Item.objects.filter(pk__in_ids=["1; DROP TABLE masterdata_item"]))


def test_ids_in_for_raw_sql_takes_thousands_of_ids(items):
    sql, params = ids_in("id", [item.pk for item in items] + list(range(10**7, 10**7 + 5000)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {Item._meta.db_table} WHERE {sql}", params)
        assert cursor.fetchone()[0] == 5
