from rest_framework.pagination import CursorPagination


class CodeCursorPagination(CursorPagination):
    """Stable cursor pages over the primary key, fast at any depth; `page_size` up to 1,000."""

    ordering = "pk"
    page_size_query_param = "page_size"
    max_page_size = 1000
