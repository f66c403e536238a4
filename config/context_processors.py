from django.urls import reverse

from integrations.roles import is_console_user, supplier_of


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
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
