"""Scope checks: a view names the scope for reading and for writing; the caller must hold it."""

from rest_framework import permissions

from integrations.api.authentication import SystemPrincipal
from integrations.roles import is_console_user

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
        if scope is None:
            # A view that names no scope is open to no one: every endpoint must say what it needs.
            return False
        if isinstance(user, SystemPrincipal):
            if not user.has_scope(scope):
                self.message = f"This API key lacks the scope '{scope}'."
                return False
            return True
        if is_console_user(user):
            return True
        return scope in SUPPLIER_USER_SCOPES and hasattr(user, "supplier_membership")
