"""X-Weft-Signature: what Weft sends and what a partner's verification accepts."""

from integrations.webhooks import sign, verify

SECRET = "whsec_known_answer"
BODY = b'{"id":"weft-event-1","type":"purchase_order.issued"}'
SENT_AT = 1767225600
# Computed independently: printf '%s' '1767225600.<body>' | openssl dgst -sha256 -hmac <secret>
KNOWN_SIGNATURE = "6356a3028791dd79ab7fba3faf6eec4a5abfccd6a484c65b091edc0e9e19bba3"


def test_signature_matches_the_known_answer():
    # when
    header = sign(SECRET, BODY, SENT_AT)

    # then
    assert header == f"t={SENT_AT},v1={KNOWN_SIGNATURE}"


def test_verify_accepts_the_signed_body_within_the_tolerance():
    # given
    header = sign(SECRET, BODY, SENT_AT)

    # then
    assert verify(SECRET, header, BODY, now=SENT_AT + 299)
    assert verify(SECRET, header, BODY, now=SENT_AT - 299)
    assert verify(SECRET, header, BODY, tolerance_seconds=3600, now=SENT_AT + 3000)


def test_verify_refuses_a_stale_or_future_timestamp():
    # given
    header = sign(SECRET, BODY, SENT_AT)

    # then
    assert not verify(SECRET, header, BODY, now=SENT_AT + 301)
    assert not verify(SECRET, header, BODY, now=SENT_AT - 301)


def test_verify_refuses_another_body_secret_or_a_malformed_header():
    # given
    header = sign(SECRET, BODY, SENT_AT)

    # then
    assert not verify(SECRET, header, BODY + b" ", now=SENT_AT)
    assert not verify("whsec_other", header, BODY, now=SENT_AT)
    assert not verify(SECRET, None, BODY, now=SENT_AT)
    assert not verify(SECRET, "", BODY, now=SENT_AT)
    assert not verify(SECRET, f"v1={KNOWN_SIGNATURE}", BODY, now=SENT_AT)
    assert not verify(SECRET, f"t={SENT_AT}", BODY, now=SENT_AT)
    assert not verify(SECRET, f"t=soon,v1={KNOWN_SIGNATURE}", BODY, now=SENT_AT)
    assert not verify(SECRET, header.replace("v1=", "v0="), BODY, now=SENT_AT)


def test_verify_accepts_any_of_several_signatures_during_a_secret_rotation():
    # given a header signed with the old and the new secret
    old = sign("whsec_old", BODY, SENT_AT).split(",")[1]
    header = f"{sign(SECRET, BODY, SENT_AT)},{old}"

    # then either secret verifies it
    assert verify(SECRET, header, BODY, now=SENT_AT)
    assert verify("whsec_old", header, BODY, now=SENT_AT)
    assert not verify("whsec_third", header, BODY, now=SENT_AT)
