from django.db import models
from django.db.models import Q

from integrations.history import audited
from integrations.models.systems import ExternalSystem


class CodeMapQuerySet(models.QuerySet):
    def effective_on(self, day):
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )


class CodeMap(models.Model):
    """A sending system's code for something, and Weft's canonical code for it."""

    class Domain(models.TextChoices):
        ITEM = "item"
        SUPPLIER = "supplier"
        PLANT = "plant"
        UOM = "uom"

    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="code_maps")
    domain = models.CharField(max_length=20, choices=Domain.choices)
    external_code = models.CharField(max_length=100)
    canonical_code = models.CharField(max_length=100)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CodeMapQuerySet.as_manager()
    history = audited()

    class Meta:
        ordering = ["system__code", "domain", "external_code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "domain", "external_code", "valid_from"],
                name="code_map_unique_from",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="code_map_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system_id} {self.domain} {self.external_code} → {self.canonical_code}"
