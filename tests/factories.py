from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from integrations.models import ExternalSystem
from masterdata.models import (
    Item,
    ItemPlant,
    Plant,
    SourcingRule,
    Supplier,
    SupplierMembership,
    UnitOfMeasure,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        join_groups(self, names or ())


def join_groups(user, names) -> None:
    for name in names:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    user.save()


class PlannerFactory(UserFactory):
    @factory.post_generation
    def groups(self, create, names, **kwargs):
        join_groups(self, names or ["planners"])


class ExternalSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalSystem
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SYS-{n}")
    name = factory.LazyAttribute(lambda s: f"System {s.code}")
    kind = ExternalSystem.Kind.ERP


class PlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plant
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{100 + n}")
    name = factory.LazyAttribute(lambda p: f"Plant {p.code}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitOfMeasure
        django_get_or_create = ("code",)

    code = "EA"
    name = "Each"
    dimension = UnitOfMeasure.Dimension.COUNT


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ITEM-{n:05d}")
    description = factory.LazyAttribute(lambda i: f"Part {i.code}")
    base_uom = factory.SubFactory(UnitFactory)
    item_type = Item.ItemType.BUY


class ItemPlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemPlant

    item = factory.SubFactory(ItemFactory)
    plant = factory.SubFactory(PlantFactory)
    lead_time_days = 7
    safety_stock = Decimal("0")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SUP-{n:03d}")
    name = factory.LazyAttribute(lambda s: f"Supplier {s.code}")
    status = Supplier.Status.APPROVED
    contact_emails = factory.LazyAttribute(lambda s: [f"orders@{s.code.lower()}.example.com"])


class SupplierUserFactory(UserFactory):
    @factory.post_generation
    def supplier(self, create, supplier, **kwargs):
        SupplierMembership.objects.create(user=self, supplier=supplier or SupplierFactory())


class SourcingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourcingRule

    item = factory.SubFactory(ItemFactory)
    supplier = factory.SubFactory(SupplierFactory)
    plant = factory.SubFactory(PlantFactory)
    supplier_item_code = factory.LazyAttribute(lambda r: f"{r.supplier.code}-{r.item.code}")
    lead_time_days = 10
    unit_price = Decimal("2.50")
