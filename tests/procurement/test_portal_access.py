"""Who reaches the portal: every route walked as a stranger, a planner and another supplier."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from procurement.portal import urls as portal_urls
from tests.factories import SupplierUserFactory
from tests.procurement.factories import issued_po


def _portal_urls(po_number: str) -> list[str]:
    """Every `portal:` route, with a real PO number and line where it takes one."""
    found = []
    for pattern in portal_urls.urlpatterns:
        converters = pattern.pattern.converters
        kwargs = {}
        if "number" in converters:
            kwargs["number"] = po_number
        if "line" in converters:
            kwargs["line"] = 10
        found.append(reverse(f"portal:{pattern.name}", kwargs=kwargs))
    return found


def _call(client, url: str):
    """GET, or POST where the route takes only POST."""
    response = client.get(url)
    return client.post(url, {}) if response.status_code == 405 else response


def test_every_route_is_walked(po):
    assert len(_portal_urls(po.number)) == len(portal_urls.urlpatterns) >= 7


def test_anonymous_is_sent_to_sign_in_everywhere(client, po):
    for url in _portal_urls(po.number):
        response = _call(client, url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_a_planner_gets_404_everywhere(client, planner, po):
    client.force_login(planner)
    for url in _portal_urls(po.number):
        assert _call(client, url).status_code == 404, url


def test_another_suppliers_user_gets_404_for_the_po(client, po, baltic):
    # given baltic's own PO, so its user is a real portal user with orders of its own
    issued_po(baltic)
    client.force_login(SupplierUserFactory(username="bob", supplier=baltic))
    for url in _portal_urls(po.number):
        response = _call(client, url)
        if po.number in url:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 200, url
            assert po.number not in response.content.decode(), url


def test_portal_pages_carry_a_content_security_policy(client, portal_user, po):
    client.force_login(portal_user)
    response = client.get(reverse("portal:order-detail", args=[po.number]))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_an_htmx_post_without_the_csrf_token_is_refused(portal_user, po):
    client = Client(enforce_csrf_checks=True)
    client.force_login(portal_user)
    url = reverse("portal:line-answer", args=[po.number, 10])
    refused = client.post(
        url, {"revision": po.revision, "action": "accept"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 403
    # with the token from the page's <body hx-headers>, the same request passes
    client.get(reverse("portal:order-detail", args=[po.number]))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = client.post(
        url,
        {"revision": po.revision, "action": "accept"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 200


def test_the_page_sets_the_csrf_header_once_on_body(client, portal_user, po):
    client.force_login(portal_user)
    html = client.get(reverse("portal:order-detail", args=[po.number])).content.decode()
    assert html.count('hx-headers=\'{"X-CSRFToken"') == 1


def test_sessions_expire():
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


@pytest.mark.django_db
def test_failed_sign_ins_lock_the_account_out(client, settings, portal_user):
    settings.AXES_ENABLED = True
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "anna", "password": "wrong"})
    # even the right password is refused now
    locked = client.post(url, {"username": "anna", "password": "correct horse battery"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.filter(username="anna").exists()
