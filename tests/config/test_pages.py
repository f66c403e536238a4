import pytest
from django.urls import reverse

from tests.factories import PlannerFactory, SupplierUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_home_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_every_link_on_the_home_page_leads_somewhere(client):
    for user in (
        PlannerFactory(),
        SupplierUserFactory(),
        UserFactory(is_staff=True, is_superuser=True),
    ):
        client.force_login(user)
        page = client.get("/")
        assert page.status_code == 200
        for destination in page.context["destinations"]:
            assert client.get(destination["url"]).status_code == 200, destination


def test_a_user_without_a_role_is_told_to_ask_for_one(client):
    client.force_login(UserFactory())
    assert b"no role yet" in client.get("/").content


def test_pages_carry_a_content_security_policy(client):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_login_with_the_wrong_password_says_so(client):
    UserFactory(username="mia")
    response = client.post(reverse("login"), {"username": "mia", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
