"""Pure-Python EDI codecs (X12, EDIFACT): no Django, no database."""

from integrations.codecs.edi import ParsedInterchange, ParsedMessage, parse_edi
from integrations.codecs.edifact import write_orders
from integrations.codecs.errors import EdiError
from integrations.codecs.x12 import write_850

__all__ = [
    "EdiError",
    "ParsedInterchange",
    "ParsedMessage",
    "parse_edi",
    "write_850",
    "write_orders",
]
