"""Who may use the console, decided in one place for every console view.

Planners and buyers (and staff) get in; a signed-in supplier user or anyone else signed in
gets 403; an anonymous visitor is sent to the sign-in page.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from integrations.roles import is_console_user


def console_required(view):
    """Decorate a console view: sign-in first, then the planner/buyer check."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_console_user(request.user):
            raise PermissionDenied("The console is for planners and buyers.")
        return view(request, *args, **kwargs)

    wrapper.console_protected = True
    return wrapper


class ConsoleRequiredMixin:
    """The same rule for class-based views."""

    @classmethod
    def as_view(cls, **initkwargs):
        return console_required(super().as_view(**initkwargs))
