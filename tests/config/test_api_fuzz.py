"""schemathesis against the OpenAPI schema, with a valid partner key holding every scope.

A bounded number of generated requests per operation: no answer may be a server error, and
every documented answer must match its schema and content type.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 8


@schemathesis.serializer("application/edi-x12", "application/edifact", "text/csv")
def _as_bytes(context, value) -> bytes:
    """EDI and CSV bodies are text on the wire; generated values are sent as their UTF-8."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", errors="surrogatepass")


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the WSGI handler must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def operations(raw_key: str):
    headers = {"Authorization": f"Bearer {raw_key}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", get_wsgi_application(), headers=headers
    )
    for result in schema.get_all_operations():
        yield result.ok(), headers


def exercise(operation, headers) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_generated_requests_never_meet_a_server_error_and_answers_match_the_schema(
    partner_key, settings, keep_test_connection
):
    settings.WEFT = settings.WEFT | {"API_RATE": ""}
    _, raw = partner_key()
    failures, count = [], 0

    for operation, headers in operations(raw):
        count += 1
        try:
            exercise(operation, headers)
        except Exception as error:
            failures.append(f"{operation.label}: {str(error)[:700]}")

    assert count > 40
    assert failures == [], "\n\n".join(failures)
