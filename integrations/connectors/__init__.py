"""Connectors: Weft pulls partner APIs on a schedule and calls them, configured rather than coded."""
