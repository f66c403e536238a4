import pytest
from django.urls import reverse

from integrations.errors import OwnershipError
from integrations.ownership import owner_of, ownership_check
from integrations.services import ownership_set
from masterdata.models import Item
from tests.factories import ExternalSystemFactory, ItemFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_ITEM = {"code": "BRK-2001", "description": "Brake disc", "base_uom": "EA", "item_type": "buy"}


@pytest.fixture
def erp():
    system = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=system)
    UnitFactory(code="EA")
    return system


def test_weft_owns_what_no_system_owns():
    assert owner_of("item") == "weft"
    ownership_check(object_type="item", writer="weft")


def test_a_write_from_a_system_that_does_not_own_the_type_is_refused(erp):
    with pytest.raises(OwnershipError) as error:
        ownership_check(object_type="item", writer="PLM")
    assert error.value.message == "item is owned by ERP-EU; PLM may not change it."


def test_api_refuses_a_write_from_another_system(erp, partner_client):
    response = partner_client.post("/api/v1/items/", NEW_ITEM, format="json")

    assert response.status_code == 403
    assert "item is owned by ERP-EU" in response.json()["detail"]
    assert not Item.objects.filter(code="BRK-2001").exists()


def test_api_refuses_a_write_from_a_planner_when_a_system_owns_the_type(erp, api_client, planner):
    api_client.force_authenticate(planner)
    response = api_client.post("/api/v1/items/", NEW_ITEM, format="json")

    assert response.status_code == 403
    assert "weft may not change it" in response.json()["detail"]


def test_api_accepts_the_owners_write(erp, partner_key, api_client):
    _, raw = partner_key("masterdata:read", "masterdata:write", system=erp)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = api_client.post("/api/v1/items/", NEW_ITEM, format="json")

    assert response.status_code == 201
    assert Item.history.get(code="BRK-2001").history_system == "ERP-EU"


def test_admin_shows_owned_objects_read_only(erp, client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    item = ItemFactory(code="BRK-3001")

    change = client.get(reverse("admin:masterdata_item_change", args=[item.pk]))
    assert change.status_code == 200
    assert b"owned by ERP-EU" in change.content
    assert b'name="_save"' not in change.content

    posted = client.post(
        reverse("admin:masterdata_item_change", args=[item.pk]), {"code": "HACKED"}
    )
    assert posted.status_code == 403
    assert client.get(reverse("admin:masterdata_item_add")).status_code == 403
    assert Item.objects.get(pk=item.pk).code == "BRK-3001"


def test_admin_allows_edits_of_what_weft_owns(client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    item = ItemFactory(code="BRK-3001")

    change = client.get(reverse("admin:masterdata_item_change", args=[item.pk]))
    assert b'name="_save"' in change.content
