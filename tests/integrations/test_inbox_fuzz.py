"""Whatever a partner sends, intake answers 4xx or 2xx, never 5xx, and keeps the body."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import InboundMessage
from tests.integrations.conftest import envelope

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
valid = envelope()


def mangled_envelopes():
    keys = st.sampled_from([*valid, "extra"])
    return st.dictionaries(keys, json_values, max_size=8).map(lambda changes: valid | changes)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=300), json_values.map(json.dumps), mangled_envelopes().map(json.dumps)
    )
)
def test_intake_never_answers_5xx_and_keeps_every_body(erp_client, body):
    before = InboundMessage.objects.count()

    response = erp_client.post("/api/v1/inbound/", body, content_type="application/json")

    assert response.status_code in (200, 202, 400, 409), response.content
    assert InboundMessage.objects.count() in (before, before + 1)
    if response.status_code in (202, 400, 409):
        assert InboundMessage.objects.filter(pk=response.json()["id"]).exists()
