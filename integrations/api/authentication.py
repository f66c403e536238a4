"""`Authorization: Bearer <key>` for partner systems. A key in the query string never counts."""

from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from integrations.models import ApiKey, ExternalSystem


@dataclass
class SystemPrincipal:
    """The caller behind an API key: an external system with the key's scopes."""

    system: ExternalSystem
    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    pk = None

    @property
    def system_code(self) -> str:
        return self.system.code

    def has_scope(self, scope: str) -> bool:
        return self.api_key.has_scope(scope)

    def __str__(self) -> str:
        return f"system {self.system.code}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"
    # Writing last_used_at on every call would turn reads into writes; once a minute is enough.
    LAST_USED_RESOLUTION_SECONDS = 60

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization must be 'Bearer <api key>'.")
        key = (
            ApiKey.objects.select_related("system").filter(hashed_key=ApiKey.hash(parts[1])).first()
        )
        now = timezone.now()
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key was revoked.")
        if key.expires_at is not None and key.expires_at <= now:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        if not key.system.enabled:
            raise exceptions.AuthenticationFailed(f"System {key.system.code} is disabled.")
        if (
            key.last_used_at is None
            or (now - key.last_used_at).total_seconds() > self.LAST_USED_RESOLUTION_SECONDS
        ):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return SystemPrincipal(system=key.system, api_key=key), key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="weft"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKeyBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A Weft API key: `Bearer weft_…`",
        }
