"""The console page for one item at one plant: stock, recent movements, holds, work orders."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from execution import selectors
from integrations.roles import is_console_user
from masterdata.models import Item, Plant


@require_GET
@login_required
def item_plant(request, item: str, plant: str):
    """Show planners and buyers where one item stands at one plant."""
    if not is_console_user(request.user):
        raise PermissionDenied("The console is for planners and buyers.")
    item_row = get_object_or_404(Item.objects.select_related("base_uom"), code=item)
    plant_row = get_object_or_404(Plant, code=plant)
    context = {"item": item_row, "plant": plant_row}
    context.update(selectors.item_plant_overview(item_row, plant_row))
    return render(request, "execution/item_plant.html", context)
