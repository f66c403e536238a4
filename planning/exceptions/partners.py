"""A partner system that keeps failing: its connector's circuit opened ("ERP-EU unreachable since
10:42 UTC"). The exception opens with the circuit and closes by itself when the system answers."""

from integrations.outbox import subscriber
from planning.exceptions.services import Condition, exception_close, exception_raise_or_refresh
from planning.models import PlanningException


def condition_key(system: str) -> str:
    return f"{PlanningException.Kind.PARTNER_UNREACHABLE}:{system}"


@subscriber("connector.circuit_opened")
def partner_unreachable(event) -> None:
    data = event.data
    exception_raise_or_refresh(
        Condition(
            key=condition_key(data["system"]),
            kind=PlanningException.Kind.PARTNER_UNREACHABLE,
            severity=PlanningException.Severity.CRITICAL,
            summary=f"{data['summary']} Calls wait; nothing is lost. Last error: "
            f"{data.get('last_error', '')}",
            detail={
                "system": data["system"],
                "opened_at": data.get("opened_at"),
                "failures": data.get("failures"),
            },
        )
    )


@subscriber("connector.circuit_closed")
def partner_answers_again(event) -> None:
    system = event.data["system"]
    exception_close(key=condition_key(system), reason=f"auto-closed: {system} answers again")
