"""Who reaches the console: every route walked as a stranger, a supplier user and a planner."""

import pytest
from django.urls import URLPattern, URLResolver, reverse

from planning.console import urls as console_urls
from tests.factories import PlannerFactory, SupplierUserFactory, UserFactory


def _patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern):
            yield pattern


def _console_urls() -> list[str]:
    """Every `console:` route; the access rule runs before any lookup, so any argument serves."""
    found = []
    for pattern in _patterns(console_urls.urlpatterns):
        kwargs = {}
        for name, converter in pattern.pattern.converters.items():
            kwargs[name] = 1 if converter.regex == "[0-9]+" else "x"
        found.append(reverse(f"console:{pattern.name}", kwargs=kwargs))
    return found


def _calls(client, url: str):
    yield client.get(url)
    yield client.post(url, {})


def test_every_route_is_protected_by_the_one_access_rule():
    for pattern in _patterns(console_urls.urlpatterns):
        assert getattr(pattern.callback, "console_protected", False), pattern.name


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in_everywhere(client):
    for url in _console_urls():
        for response in _calls(client, url):
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url


@pytest.mark.django_db
def test_a_supplier_user_gets_403_everywhere(client):
    client.force_login(SupplierUserFactory(username="anna"))
    for url in _console_urls():
        for response in _calls(client, url):
            assert response.status_code == 403, url


@pytest.mark.django_db
def test_a_user_in_no_console_group_gets_403(client):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("console:home")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("group", ["planners", "buyers"])
def test_planners_and_buyers_get_the_console(client, group):
    client.force_login(PlannerFactory(username=f"p-{group}", groups=[group]))
    response = client.get(reverse("console:home"))
    assert response.status_code == 200
    assert b"Exceptions" in response.content
