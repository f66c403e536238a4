"""Onboarding a partner's webhook: `manage.py subscribe` and the admin."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrations.models import OutboundMessage, Subscription
from integrations.webhooks import sign, verify
from tests.factories import ExternalSystemFactory, UserFactory
from tests.integrations.delivery_factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db


def test_subscribe_creates_the_subscription_and_prints_its_secret_once():
    # given
    system = ExternalSystemFactory(code="SUP-ACME")
    out = StringIO()

    # when
    call_command(
        "subscribe",
        "SUP-ACME",
        "--url",
        "https://edi.acme.example/weft",
        "--event",
        "purchase_order.issued",
        "--event",
        "purchase_order.change_requested",
        "--format",
        "x12",
        stdout=out,
    )

    # then
    subscription = Subscription.objects.get(system=system)
    printed_secret = out.getvalue().strip().splitlines()[-1]
    assert subscription.event_types == [
        "purchase_order.change_requested",
        "purchase_order.issued",
    ]
    assert subscription.format == Subscription.Format.X12
    assert printed_secret == subscription.secret
    assert verify(printed_secret, sign(subscription.secret, b"{}", 1), b"{}", now=1)


def test_subscribe_refuses_a_metadata_url_and_an_unknown_system():
    # given
    ExternalSystemFactory(code="ERP-EU")

    # then
    with pytest.raises(CommandError, match="metadata"):
        call_command("subscribe", "ERP-EU", "--url", "http://169.254.169.254/", "--event", "*")
    with pytest.raises(CommandError, match="Register it first"):
        call_command("subscribe", "ERP-XX", "--url", "http://10.0.0.5/", "--event", "*")
    with pytest.raises(CommandError, match="Event types"):
        call_command("subscribe", "ERP-EU", "--url", "http://10.0.0.5/", "--event", "po.made")
    assert not Subscription.objects.exists()


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_a_new_subscriptions_secret_once_and_never_its_field(admin_client):
    # given
    system = ExternalSystemFactory()
    form = {
        "system": system.pk,
        "url": "http://10.0.0.7/weft",
        "event_types": ["purchase_order.issued"],
        "format": "json",
        "enabled": "on",
        "max_attempts": 10,
        "timeout_seconds": 10,
    }

    # when
    response = admin_client.post(reverse("admin:integrations_subscription_add"), form, follow=True)

    # then
    subscription = Subscription.objects.get(system=system)
    assert subscription.secret in response.content.decode()
    change_page = admin_client.get(
        reverse("admin:integrations_subscription_change", args=[subscription.pk])
    )
    assert change_page.status_code == 200
    assert subscription.secret not in change_page.content.decode()


def test_the_admin_refuses_a_metadata_url(admin_client):
    # when
    response = admin_client.post(
        reverse("admin:integrations_subscription_add"),
        {
            "system": ExternalSystemFactory().pk,
            "url": "http://metadata.google.internal/",
            "event_types": ["*"],
            "format": "json",
            "max_attempts": 10,
            "timeout_seconds": 10,
        },
    )

    # then
    assert response.status_code == 200
    assert "metadata service" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_admin_replays_selected_dead_messages_and_shows_attempts(admin_client):
    # given
    dead = OutboundMessageFactory(status=OutboundMessage.Status.DEAD)
    delivered = OutboundMessageFactory(status=OutboundMessage.Status.DELIVERED)

    # when
    response = admin_client.post(
        reverse("admin:integrations_outboundmessage_changelist"),
        {"action": "replay", "_selected_action": [dead.pk, delivered.pk]},
        follow=True,
    )

    # then
    dead.refresh_from_db()
    delivered.refresh_from_db()
    assert "Replayed 1 dead message" in response.content.decode()
    assert (dead.status, dead.replayed_by) == (OutboundMessage.Status.PENDING, "user admin")
    assert delivered.status == OutboundMessage.Status.DELIVERED
    detail = admin_client.get(reverse("admin:integrations_outboundmessage_change", args=[dead.pk]))
    assert detail.status_code == 200
