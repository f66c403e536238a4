"""The scopes an API key can carry; each API view names the scope it needs."""

SCOPES: dict[str, str] = {
    "masterdata:read": "Read items, plants, units, suppliers, sourcing rules and BOMs",
    "masterdata:write": "Create and change master data that Weft owns",
    "inbound:write": "Send messages to the inbox",
    "messages:read": "Read inbound and outbound message status and traces",
    "messages:replay": "Replay outbound messages",
    "procurement:read": "Read purchase orders, acknowledgements and ASNs",
    "procurement:write": "Acknowledge purchase orders and send ASNs",
    "execution:read": "Read inventory, work orders and mismatches",
    "planning:read": "Read forecasts, MRP runs, planned orders and ATP",
    "planning:write": "Submit and approve forecasts, start MRP runs, firm planned orders",
    "metrics:read": "Scrape /metrics (Prometheus)",
}


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]
