"""The compiled fast path never calls valid what the explaining validator calls invalid."""

import copy
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import integrations.schemas as schemas
from integrations.schemas import SCHEMA_DIR, known_types
from integrations.schemas.fast import is_valid
from tests.integrations.test_schemas import ENVELOPE_EXAMPLE, EXAMPLES

ODD_VALUES = [
    None,
    12.5,
    -1,
    0,
    "",
    "x",
    "2026-13-01",
    "2026-05-13T10:00:00",
    [],
    {},
    True,
    "1e3",
    " 12",
]


def mutations(value, path=()):
    """Every way of replacing or removing one field of `value` with an odd value."""
    if isinstance(value, dict):
        for key, child in value.items():
            removed = copy.deepcopy(value)
            del removed[key]
            yield (*path, key, "<removed>"), removed
            for replaced_path, replaced in mutations(child, (*path, key)):
                copy_ = copy.deepcopy(value)
                copy_[key] = replaced
                yield replaced_path, copy_
            for odd in ODD_VALUES:
                copy_ = copy.deepcopy(value)
                copy_[key] = odd
                yield (*path, key, repr(odd)), copy_
        extra = copy.deepcopy(value)
        extra["unexpected"] = "x"
        yield (*path, "unexpected"), extra
    elif isinstance(value, list) and value:
        for index, child in enumerate(value):
            for replaced_path, replaced in mutations(child, (*path, index)):
                copy_ = copy.deepcopy(value)
                copy_[index] = replaced
                yield replaced_path, copy_


@contextmanager
def explaining_validator_only():
    """Bypass the fast path so the explaining validator alone decides."""
    saved = schemas.is_valid
    schemas.is_valid = lambda path, instance: False
    try:
        yield
    finally:
        schemas.is_valid = saved


def full_errors(type_: str, data) -> list:
    with explaining_validator_only():
        return schemas.data_errors(type_, 1, data)


@pytest.mark.parametrize("type_", sorted(EXAMPLES))
def test_fast_path_agrees_with_the_explaining_validator(type_):
    path = SCHEMA_DIR / type_ / "v1.json"
    for where, data in [((), EXAMPLES[type_]), *mutations(EXAMPLES[type_])]:
        assert is_valid(path, data) == (not full_errors(type_, data)), where


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*ENVELOPE_EXAMPLE, "extra"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=5),
            st.just("2026-05-13T10:00:00+00:00"),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        ),
    )
)
def test_fast_envelope_check_agrees(envelope):
    with explaining_validator_only():
        explained = schemas.envelope_errors(envelope)
    assert is_valid(SCHEMA_DIR / "envelope.json", envelope) == (not explained)


def test_every_schema_compiles_to_a_fast_check():
    from integrations.schemas.fast import fast_validator

    for type_ in known_types():
        assert fast_validator(SCHEMA_DIR / type_ / "v1.json") is not None, type_
