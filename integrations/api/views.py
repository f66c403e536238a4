"""Small pieces every app's API shares: who is calling, and the upsert action."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from integrations.api.authentication import SystemPrincipal
from integrations.history import acting_as
from integrations.ownership import WEFT, owner_of


def caller_system(request) -> str:
    """The writer a request acts as: its API key's system, or Weft for people signed in."""
    user = request.user
    return user.system_code if isinstance(user, SystemPrincipal) else WEFT


def api_writer(request, object_type: str) -> str:
    """Whom an API write counts as for the ownership rule.

    Weft's own API edits what Weft owns for any caller holding the write scope; a type owned by
    an external system takes writes from that system only.
    """
    if not object_type or owner_of(object_type) == WEFT:
        return WEFT
    return caller_system(request)


def caller_actor(request):
    user = request.user
    if isinstance(user, SystemPrincipal):
        return acting_as(system_code=user.system_code)
    return acting_as(user=user)


class ReadOnlyMasterViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "code"
    lookup_value_regex = "[^/]+"


class UpsertViewSet(mixins.CreateModelMixin, ReadOnlyMasterViewSet):
    """`POST` creates or changes by code through the app's service; the answer is the stored row."""

    input_serializer_class = None
    upsert_service = None
    object_type = ""
    # How the input names an existing row: {queryset lookup: input field}.
    natural_key = {"code": "code"}

    def create(self, request, *args, **kwargs):
        payload = self.input_serializer_class(data=request.data)
        payload.is_valid(raise_exception=True)
        lookup = {path: payload.validated_data[field] for path, field in self.natural_key.items()}
        existed = self.get_queryset().filter(**lookup).exists()
        with caller_actor(request), transaction.atomic():
            instance = type(self).upsert_service(
                **payload.validated_data, writer=api_writer(request, self.object_type)
            )
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(
            self.get_serializer(instance).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


def upsert_schema(input_serializer, output_serializer):
    return extend_schema(
        request=input_serializer,
        responses={200: output_serializer, 201: output_serializer},
        description="Create or change by code. Refused (403) when another system owns this type.",
    )
