from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from execution.models import PlantTolerance, SystemInventorySettings, WorkOrder
from tests.factories import ExternalSystemFactory, ItemFactory, PlantFactory


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"WO-{n:06d}")
    item = factory.SubFactory(ItemFactory, item_type="make")
    plant = factory.SubFactory(PlantFactory)
    quantity = Decimal("100")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))
    status = WorkOrder.Status.RELEASED


class PlantToleranceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlantTolerance
        django_get_or_create = ("plant",)

    plant = factory.SubFactory(PlantFactory)


class SystemInventorySettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SystemInventorySettings
        django_get_or_create = ("system",)

    system = factory.SubFactory(ExternalSystemFactory)
    poll_timeout_seconds = 2
