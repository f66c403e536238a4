"""The console's navigation, in one list: a page joins the nav by adding its entry here.

Each entry is (label, url name, url names that light it up). Only pages that exist are listed.
"""

from django.urls import NoReverseMatch, reverse

NAV = [
    ("Exceptions", "console:home", ("home", "exception-detail")),
]


def console_nav(request) -> list[dict]:
    current = request.resolver_match.url_name if request.resolver_match else ""
    entries = []
    for label, name, active_names in NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        entries.append({"label": label, "url": url, "active": current in active_names})
    return entries
