"""Scope checks: a view names the scope for reading and for writing; the caller must hold it."""

from rest_framework import permissions

from integrations.api.authentication import SystemPrincipal
from integrations.models import SecurityEvent
from integrations.roles import is_console_user
from integrations.security import security_event_record

SUPPLIER_USER_SCOPES = {"procurement:read", "procurement:write"}


def required_scope(view, request) -> str | None:
    scopes = getattr(view, "required_scopes", None) or {}
    action = getattr(view, "action", None)
    if action and action in scopes:
        return scopes[action]
    return scopes.get("read" if request.method in permissions.SAFE_METHODS else "write")


class HasScope(permissions.BasePermission):
    """Partner keys need the view's scope; planners and buyers hold every scope on the API."""

    message = "This API key lacks the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        scope = required_scope(view, request)
        allowed = scope is not None and self._holds(user, scope)
        if not allowed:
            # A view that names no scope is open to no one: every endpoint must say what it needs.
            refuse_and_record(request, user, scope)
            if isinstance(user, SystemPrincipal) and scope is not None:
                self.message = f"This API key lacks the scope '{scope}'."
        return allowed

    @staticmethod
    def _holds(user, scope: str) -> bool:
        if isinstance(user, SystemPrincipal):
            return user.has_scope(scope)
        if is_console_user(user):
            return True
        return scope in SUPPLIER_USER_SCOPES and hasattr(user, "supplier_membership")


def refuse_and_record(request, user, scope: str | None) -> None:
    """Audit an authenticated caller refused for lack of a scope or role."""
    is_key = isinstance(user, SystemPrincipal)
    security_event_record(
        kind=SecurityEvent.Kind.PERMISSION_REFUSED,
        api_key=user.api_key if is_key else None,
        username="" if is_key else user.get_username(),
        request=request,
        detail={"scope": scope, "method": request.method},
    )
