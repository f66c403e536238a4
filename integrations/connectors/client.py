"""One call to a partner API, behaving well: circuit, rate limit, concurrency cap, timeout, auth.

The caller decides what to do with the outcome: `Answered` for any HTTP answer that is not a
failure of the partner, `RetryLater` for a 429 (every caller then waits its Retry-After) and
for failures (5xx, timeout, refused connection) that count towards the circuit breaker.
"""

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests

from integrations.connectors import limits
from integrations.connectors.auth import AuthenticationFailed, auth_headers, forget_token
from integrations.models import PartnerApi
from integrations.webhooks import refuse_unsafe_url

USER_AGENT = "Weft-Connector/1"
RETRY_AFTER_DEFAULT_SECONDS = 5.0
RETRY_AFTER_MAX_SECONDS = 86400.0


@dataclass
class Answered:
    status_code: int
    headers: requests.structures.CaseInsensitiveDict
    text: str
    elapsed_ms: int

    def json(self):
        import json

        return json.loads(self.text)


class RetryLater(Exception):
    """No usable answer this time; `after` is how long to wait (None: caller's backoff)."""

    def __init__(self, message: str, *, after: float | None = None, status_code: int | None = None):
        super().__init__(message)
        self.after = after
        self.status_code = status_code


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds, from its seconds or HTTP-date form; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_MAX_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(0.0, moment.timestamp() - time.time()), RETRY_AFTER_MAX_SECONDS)


class PartnerClient:
    """Calls one partner API; keeps its connections alive for the life of the client."""

    def __init__(self, api: PartnerApi, *, max_wait_seconds: float = 60):
        self.api = api
        self.max_wait_seconds = max_wait_seconds
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies from the environment: we call who we checked
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "PartnerClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def call(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json_body=None,
        headers: dict | None = None,
    ) -> Answered:
        """Make one call (one more after a 401 with a refreshed OAuth2 token)."""
        refuse_unsafe_url(url, resolve=False)
        limits.circuit_admit(self.api)
        for attempt in (1, 2):
            limits.request_permit(self.api, max_wait_seconds=self.max_wait_seconds)
            with limits.concurrency_slot(self.api, max_wait_seconds=self.max_wait_seconds):
                answer = self._send(method, url, params, json_body, headers)
            if (
                answer.status_code == 401
                and attempt == 1
                and self.api.auth_kind == PartnerApi.AuthKind.OAUTH2
            ):
                forget_token(self.api)
                continue
            break
        return self._judge(answer)

    def _send(self, method, url, params, json_body, headers) -> Answered:
        timeout = self.api.timeout_seconds
        started = time.monotonic()
        try:
            sent_headers = {**auth_headers(self.api, self.session), **(headers or {})}
            response = self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=sent_headers,
                timeout=(timeout, timeout),
                allow_redirects=False,
            )
        except requests.Timeout as error:
            self._failed(f"no answer within {timeout} s from {url}")
            raise RetryLater(f"No answer within {timeout} s ({type(error).__name__}).") from error
        except (requests.ConnectionError, ConnectionError) as error:
            self._failed(f"{url}: {error}")
            raise RetryLater(f"Could not connect: {error}") from error
        except AuthenticationFailed:
            raise
        return Answered(
            response.status_code,
            response.headers,
            response.text,
            int((time.monotonic() - started) * 1000),
        )

    def _failed(self, error: str) -> None:
        limits.circuit_failure(self.api, error)

    def _judge(self, answer: Answered) -> Answered:
        if answer.status_code == 429:
            after = retry_after_seconds(answer.headers.get("Retry-After"))
            after = RETRY_AFTER_DEFAULT_SECONDS if after is None else after
            limits.pause(self.api, after)
            raise RetryLater(
                f"429 Too Many Requests (Retry-After {after:g} s).", after=after, status_code=429
            )
        if answer.status_code >= 500:
            self._failed(f"{answer.status_code}: {answer.text[:300]}")
            raise RetryLater(
                f"{answer.status_code} from the partner: {answer.text[:300]}",
                after=retry_after_seconds(answer.headers.get("Retry-After")),
                status_code=answer.status_code,
            )
        if answer.status_code == 401:
            raise AuthenticationFailed(
                f"{self.api.system.code} refused our credentials (401): {answer.text[:200]}"
            )
        limits.circuit_success(self.api)
        return answer
