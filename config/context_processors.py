from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse

from integrations.roles import is_console_user, supplier_of


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    # A partner key on an HTML page (the API docs) is a system, not a person: no navigation.
    if not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        return {"nav_links": []}
    links = [{"label": "Home", "url": reverse("home")}]
    if user.is_staff:
        links.append({"label": "Admin", "url": reverse("admin:index")})
    if is_console_user(user) or user.is_staff:
        links.append({"label": "API docs", "url": reverse("api-docs")})
    path = request.path
    for link in links:
        link["active"] = link["url"] == path or (
            link["url"] != "/" and path.startswith(link["url"])
        )
    return {"nav_links": links, "current_supplier": supplier_of(user)}
