"""The API's filter backend: django-filter, with every instant a caller sends turned into UTC.

Python accepts UTC offsets up to ±23:59 while PostgreSQL stores only ±15:59, so a filter value
such as `2026-05-13T10:00:00-21:37` reached the database as sent and failed there (500). The
same instant in UTC is what the caller meant and what PostgreSQL compares; one it cannot hold
at all (an offset pushing it outside year 1..9999) is a 400 naming the field.
"""

from datetime import UTC, datetime

from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class UtcDjangoFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        cleaned = filterset.form.cleaned_data
        for name, value in cleaned.items():
            if isinstance(value, datetime) and value.tzinfo is not None:
                try:
                    cleaned[name] = value.astimezone(UTC)
                except OverflowError as error:
                    raise ValidationError(
                        {name: [f"'{request.query_params.get(name)}' is out of range."]}
                    ) from error
        return filterset.qs
