"""The Pipeliner v1 query-string grammar (``filter``, ``sort``, ``loadonly``) on its own:
no database, no HTTP. What the server does with the parsed phrases is tested in
tests/pipeliner/test_filter_grammar.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealbase.api.pipeliner.grammar import (
    MAX_FILTER_LENGTH,
    MAX_PHRASES,
    OPERATORS,
    Phrase,
    escape,
    parse_filter,
    parse_names,
    unescape,
)
from dealbase.domain.errors import ValidationError

SCALAR_OPS = [op for op in OPERATORS if op != "in"]


def refused(text: str, needle: str = "") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_filter(text)
    error = caught.value
    assert [p.field for p in error.problems] == ["filter"]
    assert needle in error.message
    return error


# ---- phrases and operators ----------------------------------------------------------------

def test_empty_filter_has_no_phrases() -> None:
    assert parse_filter("") == ()


def test_implicit_and_explicit_eq() -> None:
    assert parse_filter("SURNAME::Novak") == (Phrase("SURNAME", "eq", "Novak"),)
    assert parse_filter("SURNAME::Novak::eq") == (Phrase("SURNAME", "eq", "Novak"),)


@pytest.mark.parametrize("op", SCALAR_OPS)
def test_every_scalar_operator(op: str) -> None:
    assert parse_filter(f"OPPORTUNITY_VALUE::10.5::{op}") == (Phrase("OPPORTUNITY_VALUE", op, "10.5"),)


def test_operator_is_case_and_space_insensitive() -> None:
    assert parse_filter("A::x:: NE ") == (Phrase("A", "ne", "x"),)
    assert parse_filter("A::x::Fl") == (Phrase("A", "fl", "x"),)


def test_field_name_is_trimmed_and_value_is_not() -> None:
    assert parse_filter(" CITY ::  Graz ") == (Phrase("CITY", "eq", "  Graz "),)


def test_empty_value_with_eq_and_ne() -> None:
    assert parse_filter("CITY::::ne") == (Phrase("CITY", "ne", ""),)
    assert parse_filter("CITY::::eq") == (Phrase("CITY", "eq", ""),)
    assert parse_filter("CITY::") == (Phrase("CITY", "eq", ""),)


def test_phrases_are_joined_by_bar() -> None:
    assert parse_filter("SURNAME::Nov::ll|IS_DELETED::0|RANKING::50::ge") == (
        Phrase("SURNAME", "ll", "Nov"), Phrase("IS_DELETED", "eq", "0"), Phrase("RANKING", "ge", "50"))


def test_in_splits_at_single_colons() -> None:
    assert parse_filter("CITY::Graz:Wien:Linz::in") == (Phrase("CITY", "in", ("Graz", "Wien", "Linz")),)
    assert parse_filter("CITY::Graz::in") == (Phrase("CITY", "in", ("Graz",)),)
    assert parse_filter("CITY::::in") == (Phrase("CITY", "in", ("",)),)
    assert parse_filter("CITY:::Graz::in") == (Phrase("CITY", "in", ("", "Graz")),)


def test_in_items_may_hold_escaped_separators() -> None:
    assert parse_filter(r"A::a\:b:c\|d:e\\::in") == (Phrase("A", "in", ("a:b", "c|d", "e\\")),)


def test_only_in_splits_its_value() -> None:
    assert parse_filter("A::x:y") == (Phrase("A", "eq", "x:y"),)
    assert parse_filter("A::x:y::fl") == (Phrase("A", "fl", "x:y"),)


# ---- escapes ------------------------------------------------------------------------------

def test_escaped_bar_colon_and_backslash() -> None:
    assert parse_filter(r"A::a\|b") == (Phrase("A", "eq", "a|b"),)
    assert parse_filter(r"A::a\:\:b::ne") == (Phrase("A", "ne", "a::b"),)
    assert parse_filter(r"A::a\\b") == (Phrase("A", "eq", "a\\b"),)
    assert parse_filter(r"A::\\|B::x") == (Phrase("A", "eq", "\\"), Phrase("B", "eq", "x"))


def test_lone_colon_is_text() -> None:
    assert parse_filter("START::2024-01-01 10:30:00::ge") == (Phrase("START", "ge", "2024-01-01 10:30:00"),)
    assert parse_filter("A:B::x") == (Phrase("A:B", "eq", "x"),)


def test_a_value_ending_in_a_colon_needs_the_escape() -> None:
    assert parse_filter(r"A::a\:::ne") == (Phrase("A", "ne", "a:"),)
    refused("A::a:::ne", "unknown operator")  # the leftmost '::' separates: op ':ne'


def test_other_backslashes_are_literal() -> None:
    assert parse_filter(r"A::C:\temp\new") == (Phrase("A", "eq", r"C:\temp\new"),)
    assert parse_filter("A::a\\") == (Phrase("A", "eq", "a\\"),)  # trailing backslash
    # a backslash before '::' escapes its first colon: one literal value, implicit eq
    assert parse_filter("A::a\\::ne") == (Phrase("A", "eq", "a::ne"),)


def test_an_escaped_bar_does_not_end_the_phrase() -> None:
    refused(r"A::x\|B::y", "unknown operator")  # one phrase: A, 'x|B', op 'y'


# ---- refusals -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["A", "A:x", "|", "A::x|", "|A::x", "A::x||B::y"])
def test_missing_separator_or_value(text: str) -> None:
    refused(text, "is not FIELD::value or FIELD::value::op")


@pytest.mark.parametrize("text", ["A::b::eq::c", "A::b::c::d::e", "A::::::eq"])
def test_too_many_parts(text: str) -> None:
    refused(text, "is not FIELD::value or FIELD::value::op")


@pytest.mark.parametrize("text", ["A::x::like", "A::x::", "A::x::in2", "A::x::=", "A::x::e q"])
def test_unknown_operator(text: str) -> None:
    refused(text, "unknown operator")


@pytest.mark.parametrize("text", ["::x", "  ::x", "::x::eq", "B::1|::x"])
def test_empty_field_name(text: str) -> None:
    refused(text, "has no field name")


def test_length_limit() -> None:
    longest = "A::" + "x" * (MAX_FILTER_LENGTH - 3)
    assert parse_filter(longest) == (Phrase("A", "eq", "x" * (MAX_FILTER_LENGTH - 3)),)
    refused(longest + "x", f"at most {MAX_FILTER_LENGTH} characters")


def test_phrase_limit() -> None:
    assert len(parse_filter("|".join(["A::1"] * MAX_PHRASES))) == MAX_PHRASES
    refused("|".join(["A::1"] * (MAX_PHRASES + 1)), f"at most {MAX_PHRASES} conditions")


def test_messages_quote_at_most_80_characters_of_the_phrase() -> None:
    error = refused("A" * 500)
    assert len(error.message) < 200


# ---- properties ---------------------------------------------------------------------------

SPECIAL = st.text(alphabet=st.sampled_from("|:\\ab \x00%_'\"é"), max_size=20)
ANY_TEXT = st.one_of(st.text(max_size=40), SPECIAL)
FIELD = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)


@given(ANY_TEXT)
def test_unescape_inverts_escape(text: str) -> None:
    assert unescape(escape(text)) == text


@given(ANY_TEXT)
def test_escaped_value_comes_back_as_one_phrase(text: str) -> None:
    assert parse_filter("F::" + escape(text)) == (Phrase("F", "eq", text),)


@given(ANY_TEXT, st.sampled_from(SCALAR_OPS))
def test_escaped_value_with_explicit_operator(text: str, op: str) -> None:
    assert parse_filter(f"F::{escape(text)}::{op}") == (Phrase("F", op, text),)


@given(st.lists(ANY_TEXT.filter(bool), min_size=1, max_size=6))
def test_escaped_in_items_come_back_exactly(items: list[str]) -> None:
    joined = ":".join(escape(i) for i in items)
    assert parse_filter(f"F::{joined}::in") == (Phrase("F", "in", tuple(items)),)


@given(st.lists(st.tuples(FIELD, st.sampled_from(OPERATORS), st.lists(ANY_TEXT, min_size=1, max_size=3)),
                min_size=1, max_size=MAX_PHRASES))
def test_rendered_phrases_parse_back(phrases: list[tuple[str, str, list[str]]]) -> None:
    expected = []
    rendered = []
    for field, op, values in phrases:
        if op == "in":
            items = [v for v in values if v] or ["x"]
            rendered.append(f"{field}::{':'.join(escape(v) for v in items)}::in")
            expected.append(Phrase(field, "in", tuple(items)))
        else:
            rendered.append(f"{field}::{escape(values[0])}::{op}")
            expected.append(Phrase(field, op, values[0]))
    assert parse_filter("|".join(rendered)) == tuple(expected)


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        phrases = parse_filter(text)
    except ValidationError as error:
        assert error.problems and error.problems[0].field == "filter"
        return
    assert 0 <= len(phrases) <= MAX_PHRASES
    for phrase in phrases:
        assert phrase.field and phrase.field == phrase.field.strip()
        assert phrase.op in OPERATORS
        assert isinstance(phrase.value, tuple) == (phrase.op == "in")


# ---- sort and loadonly --------------------------------------------------------------------

def test_parse_names_sort() -> None:
    assert parse_names("sort", "MODIFIED") == (("MODIFIED", False),)
    assert parse_names("sort", "-MODIFIED|ORGANIZATION") == (("MODIFIED", True), ("ORGANIZATION", False))
    assert parse_names("sort", " - CREATED | ID ") == (("CREATED", True), ("ID", False))


def test_parse_names_loadonly() -> None:
    assert parse_names("loadonly", "ID|FIRST_NAME|SURNAME") == (
        ("ID", False), ("FIRST_NAME", False), ("SURNAME", False))


@pytest.mark.parametrize("text", ["", "   "])
def test_parse_names_empty(text: str) -> None:
    assert parse_names("sort", text) == ()


@pytest.mark.parametrize("param", ["sort", "loadonly"])
@pytest.mark.parametrize("text", ["A||B", "-", "A|", "| A", "A| - "])
def test_parse_names_refuses_empty_names(param: str, text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_names(param, text)
    assert [p.field for p in caught.value.problems] == [param]
    assert "empty name" in caught.value.message


def test_parse_names_limit() -> None:
    most = "|".join(f"F{i}" for i in range(MAX_PHRASES * 4))
    assert len(parse_names("loadonly", most)) == MAX_PHRASES * 4
    with pytest.raises(ValidationError) as caught:
        parse_names("loadonly", most + "|X")
    assert "too many names" in caught.value.message
