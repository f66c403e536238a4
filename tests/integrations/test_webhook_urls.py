"""Webhook destinations: never a link-local or metadata address, at subscription or delivery time."""

import socket

import pytest

from integrations.delivery import outbound_message_deliver, subscription_create
from integrations.errors import ApplicationError
from integrations.models import OutboundMessage
from integrations.webhooks import UnsafeDestination, refuse_unsafe_url
from tests.factories import ExternalSystemFactory
from tests.integrations.delivery_factories import OutboundMessageFactory, SubscriptionFactory
from tests.partner_server import PartnerServer

pytestmark = pytest.mark.django_db

REAL_GETADDRINFO = socket.getaddrinfo


def resolving(name: str, address: str):
    """getaddrinfo that answers `address` for `name` and asks the real resolver otherwise."""

    def fake(host, port, *args, **kwargs):
        if host == name:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    return fake


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.170.2/v2/credentials",
        "http://[fe80::1]/hook",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.100.100.200/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
        "http://metadata/computeMetadata/v1/",
        "ftp://partner.example.com/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
    ],
)
def test_a_subscription_to_a_metadata_link_local_or_non_http_url_is_refused(url):
    # given
    system = ExternalSystemFactory()

    # when
    with pytest.raises(ApplicationError) as refused:
        subscription_create(system=system, url=url, event_types=["purchase_order.issued"])

    # then the error names the field and the value
    assert refused.value.extra == {"field": "url", "value": url}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/weft",
        "http://10.1.2.3/weft",
        "https://192.168.10.20/weft",
        "http://[::1]:8443/weft",
        "https://partner.invalid/weft",
    ],
)
def test_loopback_private_and_not_yet_resolvable_urls_are_allowed(url):
    # when
    subscription, secret = subscription_create(
        system=ExternalSystemFactory(), url=url, event_types=["*"]
    )

    # then
    assert subscription.url == url
    assert secret.startswith("whsec_")
    assert subscription.secret == secret


def test_a_name_resolving_to_the_metadata_address_is_refused_at_subscription(monkeypatch):
    # given a partner name whose DNS answer is the metadata service
    monkeypatch.setattr(socket, "getaddrinfo", resolving("hooks.partner.test", "169.254.169.254"))

    # when
    with pytest.raises(UnsafeDestination) as refused:
        refuse_unsafe_url("https://hooks.partner.test/weft")

    # then
    assert "169.254.169.254" in refused.value.message
    assert refused.value.extra == {"field": "url", "value": "https://hooks.partner.test/weft"}


def test_a_name_that_rebinds_to_the_metadata_address_makes_the_message_dead_unsent(monkeypatch):
    # given a subscription made while the name pointed at the partner's server
    with PartnerServer() as partner:
        url = partner.url.replace("127.0.0.1", "hooks.partner.test")
        monkeypatch.setattr(socket, "getaddrinfo", resolving("hooks.partner.test", "127.0.0.1"))
        subscription, _ = subscription_create(
            system=ExternalSystemFactory(), url=url, event_types=["*"]
        )
        message = OutboundMessageFactory(subscription=subscription)

        # when the name now resolves to the metadata service at delivery time
        monkeypatch.setattr(
            socket, "getaddrinfo", resolving("hooks.partner.test", "169.254.169.254")
        )
        outcome = outbound_message_deliver(message_id=message.pk)

        # then nothing was sent and the message is dead with the reason
        assert partner.received == []
    message.refresh_from_db()
    assert outcome == OutboundMessage.Status.DEAD
    assert message.status == OutboundMessage.Status.DEAD
    assert "169.254.169.254" in message.last_error
    assert "169.254.169.254" in message.attempt_log.get().error


def test_a_stored_metadata_url_is_refused_at_delivery_too():
    # given a subscription row written around the service (an old row, a raw edit)
    message = OutboundMessageFactory(
        subscription=SubscriptionFactory(url="http://169.254.169.254/latest/meta-data/")
    )

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.DEAD
    assert message.last_error.startswith("Refused:")
