"""The four ways partner APIs page through a list, as one small interface.

A pager names the request for the current page (`request()`) and, given the answer and its
records, moves to the next one (`advance()` returns False after the last page). The pull loop
retries a page by asking `request()` again, so a retried page is the same page.

- page:   ?page=1&per_page=100, then 2, 3 ... until a page has fewer records than asked for
- offset: ?offset=0&limit=100, then 100, 200 ... same end
- cursor: ?limit=100, then ?cursor=<next_cursor from the body> until it is empty
- link:   the first URL, then the `Link: <...>; rel="next"` URL until there is none
"""

from requests.utils import parse_header_links

from integrations.connectors.client import Answered
from integrations.connectors.mapping import search
from integrations.models import Connector

Kind = Connector.Pagination


class Pager:
    def __init__(self, connector: Connector, url: str, base_params: dict):
        self.connector = connector
        self.url = url
        self.base_params = base_params
        self.number = 1
        self.offset = 0
        self.cursor: str | None = None
        self.next_url: str | None = None

    def request(self) -> tuple[str, dict | None]:
        c = self.connector
        if c.pagination == Kind.PAGE:
            return self.url, {
                **self.base_params,
                c.page_param: self.number,
                c.size_param: c.page_size,
            }
        if c.pagination == Kind.OFFSET:
            return self.url, {
                **self.base_params,
                c.offset_param: self.offset,
                c.size_param: c.page_size,
            }
        if c.pagination == Kind.CURSOR:
            params = {**self.base_params, c.size_param: c.page_size}
            if self.cursor:
                params[c.cursor_param] = self.cursor
            return self.url, params
        if self.next_url:
            return self.next_url, None
        return self.url, {**self.base_params, c.size_param: c.page_size}

    def advance(self, answer: Answered, body, records: list) -> bool:
        c = self.connector
        self.number += 1
        if c.pagination in (Kind.PAGE, Kind.OFFSET):
            self.offset += len(records)
            return len(records) >= c.page_size
        if c.pagination == Kind.CURSOR:
            following = search(c.next_cursor_path, body)
            if not following or not records or following == self.cursor:
                return False
            self.cursor = str(following)
            return True
        following = next_link(answer.headers.get("Link", ""))
        if not following or following == self.next_url:
            return False
        self.next_url = following
        return True


def next_link(header: str) -> str | None:
    if not header:
        return None
    for link in parse_header_links(header):
        if "next" in link.get("rel", "").split():
            return link.get("url")
    return None
