"""The exception workbench's logic: services for every write, detectors for every kind.

How a kind plugs in
-------------------
Anything that can tell a condition calls the services with a `Condition`:

    from planning.exceptions.services import Condition, exception_raise_or_refresh, exception_close

    exception_raise_or_refresh(Condition(key="shortage:item_plant:12:34", kind="shortage",
                                         severity=PlanningException.Severity.HIGH,
                                         summary="...", item=item, plant=plant, detail={...}))
    exception_close(key="shortage:item_plant:12:34", reason="auto-closed: covered by MRP run 7")

The key names the condition (kind + object); the same key never has two open rows, a
condition that returns reopens its row, and a row a person resolved stays resolved until the
condition has cleared once. The MRP writer does exactly this for its kinds.

A detector that computes its kind from other apps' state subclasses
`planning.exceptions.registry.Detector`, lives in `planning/exceptions/detectors/<kind>.py`,
and is decorated with `@register`: it then re-runs for the objects an event touched (the
outbox subscriber in `subscribers.py` asks each detector which objects an event names) and in
the beat sweep (`tasks.sweep_exceptions`).
"""
