"""docs/partners.md carries the message reference exactly as the JSON Schemas define it."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from integrations.message_reference import render_reference, splice
from integrations.schemas import INBOUND_TYPES, OUTBOUND_TYPES

DOCUMENT = Path(__file__).resolve().parent.parent.parent / "docs" / "partners.md"


def test_the_reference_in_partners_md_matches_the_schemas():
    document = DOCUMENT.read_text()

    assert splice(document, render_reference()) == document, (
        "docs/partners.md drifted from integrations/schemas/: run manage.py message_reference"
    )


def test_every_message_type_has_a_section():
    reference = render_reference()

    for type_ in INBOUND_TYPES | OUTBOUND_TYPES:
        assert f"### `{type_}` v1" in reference


def test_the_check_fails_on_a_drifted_copy(tmp_path):
    drifted = tmp_path / "partners.md"
    drifted.write_text(
        DOCUMENT.read_text().replace("| `lines[].po` | string | yes |", "| `lines[].po` | int | |")
    )

    with pytest.raises(CommandError, match="drifted"):
        call_command("message_reference", "--check", "--document", str(drifted))
    call_command("message_reference", "--document", str(drifted))
    assert drifted.read_text() == DOCUMENT.read_text()
