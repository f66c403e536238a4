"""The console's navigation, in one list: a page joins the nav by adding its entry here.

Each entry is (label, url name, url names that light it up). Only pages that exist are listed.
"""

from django.urls import NoReverseMatch, reverse

NAV = [
    ("Exceptions", "console:home", ("home", "exception-detail")),
    ("Forecasts", "console:forecast-list", ("forecast-list", "forecast-detail", "forecast-diff")),
    ("MRP runs", "console:run-list", ("run-list",)),
    ("MRP grid", "console:mrp-grid", ("mrp-grid",)),
    ("Stale acks", "console:stale-list", ("stale-list",)),
    ("Integration", "console:monitor", ("monitor", "monitor-inbound", "monitor-outbound", "trace")),
    ("KPIs", "console:kpis", ("kpis",)),
    (
        "Master data",
        "console:item-list",
        ("item-list", "item-detail", "supplier-list", "supplier-detail", "history"),
    ),
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
