"""One module per kind; importing this package registers every detector."""

from planning.exceptions.detectors import (  # noqa: F401
    acknowledgements,
    inventory,
    messages,
    proposals,
)
