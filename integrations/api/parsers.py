"""JSON bodies are refused when nested deeper than `WEFT["MAX_JSON_DEPTH"]` (400, not a crash)."""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth_exceeds(value, limit: int) -> bool:
    """True when containers nest deeper than `limit`; walks without recursion, stops early."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def max_json_depth() -> int:
    return settings.WEFT["MAX_JSON_DEPTH"]


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(f"JSON nested deeper than {max_json_depth()} levels.") from error
        if json_depth_exceeds(data, max_json_depth()):
            raise ParseError(f"JSON nested deeper than {max_json_depth()} levels.")
        return data
