"""Whose documents an API caller reaches: the rule behind every procurement queryset.

- a supplier system's key (a system some Supplier names as its `external_system`): those
  suppliers' documents only; a system of kind "supplier" not linked to any supplier: none;
- a portal user (SupplierMembership): that supplier's only;
- planners, buyers, administrators and other partner systems (the ERP): every supplier's.
"""

from rest_framework.exceptions import PermissionDenied

from integrations.api.authentication import SystemPrincipal
from integrations.models import ExternalSystem
from integrations.roles import is_console_user, supplier_of
from masterdata.models import Supplier


def suppliers_for(request) -> list[Supplier] | None:
    """The suppliers the caller acts for, or None when it sees every supplier's documents."""
    if not hasattr(request, "_procurement_suppliers"):
        request._procurement_suppliers = _suppliers_for(request.user)
    return request._procurement_suppliers


def _suppliers_for(user) -> list[Supplier] | None:
    if user is None or not user.is_authenticated:
        return []
    if isinstance(user, SystemPrincipal):
        linked = list(Supplier.objects.filter(external_system=user.system))
        if linked or user.system.kind == ExternalSystem.Kind.SUPPLIER:
            return linked
        return None
    supplier = supplier_of(user)
    if supplier is not None:
        return [supplier]
    return None if is_console_user(user) else []


def require_buyer(request) -> None:
    """Only planners, buyers and administrators signed in to Weft take buyer actions."""
    user = request.user
    if isinstance(user, SystemPrincipal) or not is_console_user(user):
        raise PermissionDenied("Only a buyer may do this.")


def require_not_supplier(request) -> None:
    if suppliers_for(request) is not None:
        raise PermissionDenied("A supplier does not post receipts.")
