"""The inbox (being written)."""


def inbound_message_process(*, message_id: int) -> None:
    raise NotImplementedError
