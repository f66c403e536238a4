"""How Weft authenticates to a partner API: an API-key header, HTTP basic, or OAuth2 client credentials.

An OAuth2 token is fetched once and kept in the shared store (Redis) until shortly before it
expires, so every worker process uses the same token; a 401 drops it and the call is made once
more with a fresh one. The token is keyed by a digest of the credentials, so changing the
secret in the admin never reuses a token issued for the old one.
"""

import base64
import json

import requests

from integrations.connectors.limits import key, shared_store
from integrations.errors import ApplicationError
from integrations.models import PartnerApi

AuthKind = PartnerApi.AuthKind
# Refreshed this long before the partner's expiry, so a token never dies mid-call.
EXPIRY_MARGIN_SECONDS = 30


class AuthenticationFailed(Exception):
    """The partner refused our credentials (or its token endpoint did)."""


def auth_headers(api: PartnerApi, session: requests.Session) -> dict[str, str]:
    """The headers that authenticate one call."""
    if api.auth_kind == AuthKind.API_KEY:
        return {api.api_key_header or "X-API-Key": api.secret}
    if api.auth_kind == AuthKind.BASIC:
        pair = base64.b64encode(f"{api.username}:{api.secret}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    if api.auth_kind == AuthKind.OAUTH2:
        return {"Authorization": f"Bearer {access_token(api, session)}"}
    return {}


def _token_key(api: PartnerApi) -> str:
    return key("token", api.system.code, api.credentials_fingerprint())


def access_token(api: PartnerApi, session: requests.Session) -> str:
    """A valid OAuth2 access token: the cached one, or a new one from the token endpoint."""
    store = shared_store()
    cached = store.get(_token_key(api))
    if cached:
        return cached
    try:
        answer = session.post(
            api.token_url,
            data={
                "grant_type": "client_credentials",
                **({"scope": api.scope} if api.scope else {}),
            },
            auth=(api.username, api.secret),
            timeout=(api.timeout_seconds, api.timeout_seconds),
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise ConnectionError(f"token endpoint {api.token_url}: {error}") from error
    if answer.status_code >= 500 or answer.status_code == 429:
        raise ConnectionError(f"token endpoint {api.token_url} answered {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        body = {}
    token = body.get("access_token") if isinstance(body, dict) else None
    if answer.status_code != 200 or not token:
        raise AuthenticationFailed(
            f"{api.system.code}'s token endpoint refused the client credentials "
            f"({answer.status_code}: {json.dumps(body)[:200]})."
        )
    lifetime = float(body.get("expires_in") or 3600)
    keep = (
        lifetime - EXPIRY_MARGIN_SECONDS if lifetime > 2 * EXPIRY_MARGIN_SECONDS else lifetime / 2
    )
    store.set(_token_key(api), token, keep)
    return token


def forget_token(api: PartnerApi) -> None:
    shared_store().delete(_token_key(api))


def auth_check(*, auth_kind: str, username: str, secret: str, token_url: str) -> None:
    """Refuse an authentication set-up that cannot work, naming the missing field."""
    if auth_kind not in AuthKind.values:
        raise ApplicationError(
            f"auth_kind '{auth_kind}' is not one of {', '.join(AuthKind.values)}.",
            {"field": "auth_kind", "value": auth_kind},
        )
    needed = {
        AuthKind.API_KEY: ["secret"],
        AuthKind.BASIC: ["username", "secret"],
        AuthKind.OAUTH2: ["token_url", "username", "secret"],
    }.get(auth_kind, [])
    values = {"username": username, "secret": secret, "token_url": token_url}
    for field in needed:
        if not values[field]:
            raise ApplicationError(
                f"{field} is required for {AuthKind(auth_kind).label} authentication.",
                {"field": field, "value": ""},
            )
