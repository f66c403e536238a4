"""Webhooks on the wire: the signature partners verify, and where Weft refuses to send them.

Signature (MESSAGES.md): `X-Weft-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
keyed with the subscription's secret. A partner checks it like this (the same code Weft tests):

    from integrations.webhooks import verify
    if not verify(secret, request.headers["X-Weft-Signature"], request.body):
        return 401

Destinations: a webhook must never reach a cloud metadata service or another link-local
address, so the URL is checked when the subscription is made, and every connection checks the
address it is about to open (a name can resolve elsewhere later: DNS rebinding). Loopback and
private ranges stay allowed, since partners on a LAN are normal. Redirects are not followed and
proxies from the environment are not used, so the checked address is the one Weft talks to.
"""

import functools
import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3 import PoolManager, Timeout
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError

from integrations.errors import ApplicationError

SIGNATURE_HEADER = "X-Weft-Signature"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300

ALLOWED_SCHEMES = frozenset({"http", "https"})
METADATA_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
FORBIDDEN_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),  # link-local; AWS, GCP, Azure, OpenStack metadata
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>`."""
    signed = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | float) -> str:
    """The `X-Weft-Signature` header value for a body sent at `timestamp` (unix seconds)."""
    t = int(timestamp)
    return f"t={t},{SIGNATURE_VERSION}={signature(secret, body, t)}"


def sign_with_each(secrets_in_use: list[str], body: bytes, timestamp: int | float) -> str:
    """One header with a `v1=` signature per secret: during a rotation partners holding either
    the old or the new secret verify the same delivery."""
    t = int(timestamp)
    entries = ",".join(f"{SIGNATURE_VERSION}={signature(s, body, t)}" for s in secrets_in_use)
    return f"t={t},{entries}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """True when the header signs this body with this secret within the tolerance of `now`.

    Several `v1=` entries are accepted so a sender can sign with an old and a new secret
    while a partner rotates it; the timestamp bounds how long a captured request can be replayed.
    """
    if not header:
        return False
    timestamp, candidates = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == SIGNATURE_VERSION and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


class UnsafeDestination(ApplicationError):
    """A webhook URL or address Weft will not call."""


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in FORBIDDEN_NETWORKS)


def _as_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return None


def checked_addresses(host: str, port: int, *, field: str = "url") -> list[str]:
    """Resolve a host and return its addresses; refuse it when any of them is forbidden.

    One forbidden answer refuses the whole name: a name that mixes a public address with the
    metadata service is an attack, not a partner.
    """
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
    for address in addresses:
        if _forbidden(address):
            raise UnsafeDestination(
                f"{host} resolves to {address}, a link-local or metadata address Weft never calls.",
                {"field": field, "value": host},
            )
    return addresses


def refuse_unsafe_url(url: str, *, field: str = "url", resolve: bool = True) -> None:
    """Raise UnsafeDestination for a non-http(s) URL or one aimed at a metadata service.

    With `resolve`, a host name is looked up too; a name that does not resolve (yet) passes,
    since delivery checks again before each connection.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeDestination(
            f"A webhook URL must use http or https, not '{parts.scheme}'.",
            {"field": field, "value": url},
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeDestination("A webhook URL needs a host.", {"field": field, "value": url})
    if host in METADATA_HOSTNAMES:
        raise UnsafeDestination(
            f"{host} is a cloud metadata service; Weft never calls it.",
            {"field": field, "value": url},
        )
    literal = _as_address(host)
    if literal is not None and _forbidden(literal):
        raise UnsafeDestination(
            f"{literal} is a link-local or metadata address; Weft never calls it.",
            {"field": field, "value": url},
        )
    if resolve and literal is None:
        try:
            checked_addresses(host, parts.port or 443, field=field)
        except socket.gaierror:
            return
        except UnsafeDestination as error:
            raise UnsafeDestination(error.message, {"field": field, "value": url}) from error


class _CheckedConnection:
    """Opens the socket only to addresses that passed `checked_addresses`, resolved here once."""

    def _new_conn(self):
        try:
            addresses = checked_addresses(self._dns_host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        resolved_name, last_error = self._dns_host, None
        for address in addresses:
            self._dns_host = address
            try:
                return super()._new_conn()
            except NewConnectionError as error:
                last_error = error
            finally:
                self._dns_host = resolved_name
        raise last_error


class _CheckedHTTPConnection(_CheckedConnection, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


class _CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


@functools.cache
def _pools() -> PoolManager:
    """Keep-alive connections per partner host, shared by a process's threads (urllib3 is safe)."""
    pools = PoolManager(num_pools=100, maxsize=8)
    pools.pool_classes_by_scheme = {
        "http": _CheckedHTTPConnectionPool,
        "https": _CheckedHTTPSConnectionPool,
    }
    return pools


class TransportError(Exception):
    """No answer came; `retryable` says whether trying again later can help."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class WebhookAnswer:
    status_code: int
    body: str
    retry_after: str | None


# Reading a little past what is kept lets a small answer finish, so its connection is reused.
_DRAIN_LIMIT_BYTES = 64 * 1024


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout_seconds: float, keep_bytes: int
) -> WebhookAnswer:
    """POST once, without redirects or retries; keep the first `keep_bytes` of the answer.

    Raises UnsafeDestination for a refused address and TransportError when no answer came.
    """
    refuse_unsafe_url(url, resolve=False)
    deadline = time.monotonic() + timeout_seconds
    try:
        response = _pools().request(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=Timeout(connect=timeout_seconds, read=timeout_seconds),
            retries=False,
            redirect=False,
            preload_content=False,
        )
    except NewConnectionError as error:
        raise TransportError(f"Connection failed: {error}", retryable=True) from error
    except urllib3_exceptions.TimeoutError as error:
        raise TransportError(
            f"No answer within {timeout_seconds:g} s: {error}", retryable=True
        ) from error
    except (urllib3_exceptions.ProtocolError, urllib3_exceptions.SSLError) as error:
        raise TransportError(f"Connection failed: {error}", retryable=True) from error
    except urllib3_exceptions.HTTPError as error:
        raise TransportError(f"Cannot send: {error}", retryable=False) from error
    kept, read, complete = bytearray(), 0, False
    try:
        for chunk in response.stream(4096):
            kept += chunk[: max(0, keep_bytes - len(kept))]
            read += len(chunk)
            if read > _DRAIN_LIMIT_BYTES or time.monotonic() > deadline:
                break
        else:
            complete = True
    except urllib3_exceptions.HTTPError as error:
        # The status line is the partner's answer; a body cut short only loses the detail.
        kept += f" [answer cut short: {error}]".encode()
    finally:
        if not complete:
            response.close()
        response.release_conn()
    text = kept.decode("utf-8", errors="replace").replace("\x00", "")
    return WebhookAnswer(response.status, text, response.headers.get("Retry-After"))
