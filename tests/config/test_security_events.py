"""Every security event is kept: keys made, revoked, rotated; secrets rotated; lockouts; refusals."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from integrations import webhooks
from integrations.errors import ApplicationError
from integrations.models import ApiKey, SecurityEvent
from integrations.services import (
    api_key_create,
    api_key_revoke,
    api_key_rotate,
    subscription_secret_rotate,
)
from tests.factories import ExternalSystemFactory, UserFactory
from tests.integrations.delivery_factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_creating_and_revoking_a_key_is_audited():
    system = ExternalSystemFactory()

    key, _ = api_key_create(system=system, scopes=["masterdata:read"])
    api_key_revoke(key=key)
    api_key_revoke(key=key)

    kinds = list(SecurityEvent.objects.order_by("id").values_list("kind", "api_key", "system"))
    assert kinds == [("key_created", key.pk, system.pk), ("key_revoked", key.pk, system.pk)]


def test_a_rotated_key_keeps_working_through_the_overlap_and_not_after():
    system = ExternalSystemFactory()
    old, old_raw = api_key_create(system=system, scopes=["masterdata:read"])

    new, new_raw = api_key_rotate(key=old, overlap=timedelta(hours=1))

    assert new.scopes == old.scopes and new.system == system
    assert bearer(old_raw).get("/api/v1/items/").status_code == 200
    assert bearer(new_raw).get("/api/v1/items/").status_code == 200
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(old_raw).get("/api/v1/items/").status_code == 401
    assert bearer(new_raw).get("/api/v1/items/").status_code == 200
    event = SecurityEvent.objects.get(kind="key_rotated")
    assert event.detail["new_prefix"] == new.prefix


def test_rotation_refuses_a_revoked_key_and_an_overlong_overlap():
    system = ExternalSystemFactory()
    key, _ = api_key_create(system=system, scopes=["masterdata:read"])

    with pytest.raises(ApplicationError) as too_long:
        api_key_rotate(key=key, overlap=timedelta(days=365))
    api_key_revoke(key=key)
    with pytest.raises(ApplicationError) as revoked:
        api_key_rotate(key=key, overlap=timedelta(hours=1))

    assert too_long.value.extra["field"] == "overlap"
    assert revoked.value.extra["field"] == "key"
    assert ApiKey.objects.filter(system=system).count() == 1


def test_a_rotated_webhook_secret_signs_with_both_during_the_overlap():
    subscription = SubscriptionFactory()
    old_secret = subscription.secret

    new_secret = subscription_secret_rotate(subscription=subscription, overlap=timedelta(hours=1))
    subscription.refresh_from_db()
    header = webhooks.sign_with_each(subscription.signing_secrets(), b"{}", 1_700_000_000)

    assert new_secret != old_secret
    assert webhooks.verify(new_secret, header, b"{}", now=1_700_000_000)
    assert webhooks.verify(old_secret, header, b"{}", now=1_700_000_000)
    later = timezone.now() + timedelta(hours=2)
    assert subscription.signing_secrets(now=later) == [new_secret]
    assert SecurityEvent.objects.filter(kind="webhook_secret_rotated").count() == 1


def test_a_key_refused_for_a_missing_scope_is_audited(partner_key):
    key_system, raw = partner_key("procurement:read")

    response = bearer(raw).get("/api/v1/items/")

    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind="permission_refused")
    assert event.system == key_system
    assert event.detail == {"scope": "masterdata:read", "method": "GET"}
    assert event.path == "/api/v1/items/"


def test_a_signed_in_user_without_a_role_refused_is_audited():
    user = UserFactory(username="nobody")
    client = APIClient()
    client.force_login(user)

    response = client.get("/api/v1/items/")

    assert response.status_code == 403
    assert SecurityEvent.objects.get(kind="permission_refused").username == "nobody"


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=2)
def test_a_login_locked_out_by_axes_is_audited(client):
    UserFactory(username="target")

    for _ in range(2):
        client.post("/login/", {"username": "target", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")

    event = SecurityEvent.objects.get(kind="login_locked_out")
    assert event.username == "target"
    assert event.ip_address == "10.1.2.3"
