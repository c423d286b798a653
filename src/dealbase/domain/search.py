"""What full-text search finds, and how text is made searchable: one place for both.

Each searched entity declares the groups of its fields that a search can name (Pipedrive's
``fields``: ``title``, ``name``, ``email``…) in ``SEARCHED``; custom fields of the
searchable types form the ``custom_fields`` group; a note's text is the ``notes`` group of
every record it is attached to. Text is indexed and searched *normalised* (``words``):
case folded, accents taken off, every run of characters that are not letters or digits a
single space. A term matches a text when each of its words begins a word of the text, in
any order (``exact_match``: when a whole value equals the term, case and accents aside).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .spec import EntitySpec

# Group -> (the canonical fields in it), per entity. The order of the groups is the order
# of their weight in a result's score.
SEARCHED: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "deal": {"title": ("title",)},
    "person": {"name": ("name",), "email": ("emails",), "phone": ("phones",)},
    "organization": {"name": ("name",), "address": ("address",)},
    "product": {"name": ("name",), "code": ("code",)},
    "lead": {"title": ("title",)},
}
CUSTOM = "custom_fields"
NOTES = "notes"
# The group codes (stored in the index's key): stable, never reused.
GROUPS: Mapping[str, int] = {"name": 1, "title": 1, "email": 2, "phone": 3, "address": 4,
                             "code": 5, CUSTOM: 6, NOTES: 7, "description": 8}
# The entity codes of the index's key: stable, never reused.
ENTITY_CODES: Mapping[str, int] = {"deal": 1, "person": 2, "organization": 3, "product": 4,
                                   "lead": 5, "note": 6}
# Which searched entities a note's text belongs to, by the note's reference field.
NOTE_PARENTS: Mapping[str, str] = {"deal": "deal_id", "person": "person_id",
                                   "organization": "organization_id", "lead": "lead_id"}
# Custom field types whose values are searched (as Pipedrive's documentation lists them).
CUSTOM_TYPES = frozenset({"address", "varchar", "text", "varchar_auto", "double", "monetary",
                          "phone"})
# A result's score: the weight of the best group it matched in, times how well it matched.
WEIGHTS: Mapping[int, float] = {1: 1.0, 5: 0.9, 2: 0.8, 3: 0.8, 6: 0.5, 4: 0.5, 8: 0.4, 7: 0.3}
MAX_TEXT = 8192  # characters of one group's text that are indexed
MIN_TERM = 2  # characters of a term (1 with exact_match)
MAX_TERM_WORDS = 8

_TAGS = re.compile(r"<[^>]*>")
_NOT_WORD = re.compile(r"[^\w]+|_+")


def fold(text: str) -> str:
    """``text`` case folded, accents off (NFKD without combining marks)."""
    if text.isascii():  # (nothing to decompose; ASCII folds as it lowers)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> str:
    """``text`` as the index holds it: folded, each run of non-word characters one space."""
    return _NOT_WORD.sub(" ", fold(text)).strip()


def plain(value: Any) -> str:
    """A stored value as searchable text (a note's HTML without its tags; lists of
    contact points as their values, one per line)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, list):
        return "\n".join(plain(v.get("value") if isinstance(v, dict) else v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if "<" in text or "&" in text:
        text = html.unescape(_TAGS.sub(" ", text))
    return text


@dataclass(frozen=True)
class Term:
    """A search term: its words (each a prefix of a word of the text), and for
    ``exact`` the whole of it."""

    words: tuple[str, ...]
    whole: str
    exact: bool

    def matches(self, text: str) -> bool:
        """Whether the normalised ``text`` (``words``) holds every word of the term at the
        start of one of its words (``exact``: the term's words in a row)."""
        found = f" {text} "
        if self.exact:
            return f" {self.whole} " in found
        return all(f" {w}" in found for w in self.words)

    def quality(self, lines: Iterable[str]) -> float:
        """How well the term matches a group's values (normalised each): 1 for a value that
        is the term, 0.8 for one that begins with it, 0.6 when every word is whole, else
        0.4; 0 when no value matches."""
        best = 0.0
        for line in lines:
            text = words(line)
            if not self.matches(text):
                continue
            if text == self.whole:
                return 1.0
            padded = f" {text} "
            best = max(best, 0.8 if text.startswith(self.whole) else
                       0.6 if all(f" {w} " in padded for w in self.words) else 0.4)
        return best


def term_of(raw: str, exact: bool) -> Term | None:
    """The term of a query, or None when it is too short to search (fewer than
    ``MIN_TERM`` characters, one with ``exact``, once normalised)."""
    whole = words(raw)
    if len(whole.replace(" ", "")) < (1 if exact else MIN_TERM):
        return None
    return Term(tuple(dict.fromkeys(whole.split()))[:MAX_TERM_WORDS], whole, exact)


def groups(spec: EntitySpec) -> dict[str, tuple[str, ...]]:
    """The searched groups of an entity as a company sees it: its own, its searchable
    custom fields (``custom_fields``) and, for the entities notes attach to, ``notes``
    (found through the notes, which are indexed on their own)."""
    memo: dict[str, tuple[str, ...]] | None = spec.memo.get("search groups")
    if memo is None:
        memo = dict(SEARCHED.get(spec.name, {}))
        custom = tuple(f.name for f in spec.custom
                       if f.parent is None and f.field_type in CUSTOM_TYPES)
        if custom:
            memo[CUSTOM] = custom
        spec.memo["search groups"] = memo
    return dict(memo)


def texts(spec: EntitySpec, record: Mapping[str, Any]) -> dict[int, str]:
    """What the index holds for a record: per group code, its values as ``words``, one
    value per line (at most ``MAX_TEXT`` characters)."""
    codes: tuple[tuple[int, tuple[str, ...]], ...] | None = spec.memo.get("search codes")
    if codes is None:
        codes = spec.memo["search codes"] = ((GROUPS[NOTES], ("content",)),) if (
            spec.name == "note") else tuple((GROUPS[g], names) for g, names in groups(spec).items())
    out: dict[int, str] = {}
    for code, names in codes:
        if len(names) == 1:  # one value of one line (no tags, no entities): its words
            value = record.get(names[0])
            kind = type(value)
            text = value if kind is str else plain(value) if kind is int or kind is float else None
            if text is not None and text.isprintable() and (
                    kind is not str or ("<" not in text and "&" not in text)):
                if text.strip():  # (printable: ``splitlines`` finds one line)
                    out[code] = words(text)[:MAX_TEXT]
                continue
        lines: list[str] = []
        for name in names:
            text = plain(record.get(name))
            if text:
                lines += text.splitlines()
        kept = [line for line in lines if line.strip()]
        if kept:
            out[code] = "\n".join(map(words, kept))[:MAX_TEXT]
    return out


def searched_fields(spec: EntitySpec) -> frozenset[str]:
    """The canonical fields whose change re-indexes a record."""
    if spec.name == "note":
        return frozenset({"content"})
    return frozenset(n for names in groups(spec).values() for n in names)


def key(entity: str, record_id: int, group: int = 0) -> int:
    """The index row's key: record, entity and group in one integer (a record's rows are
    the range ``key(e, id)`` .. ``key(e, id) + 15``)."""
    return (record_id << 8) | (ENTITY_CODES[entity] << 4) | group


def unkey(found: int) -> tuple[str, int, int]:
    """(entity, record id, group code) of an index key."""
    code = (found >> 4) & 0xF
    entity = next(e for e, c in ENTITY_CODES.items() if c == code)
    return entity, found >> 8, found & 0xF


def group_codes(names: Sequence[str]) -> tuple[int, ...]:
    return tuple(sorted({GROUPS[n] for n in names}))


__all__ = ["CUSTOM", "CUSTOM_TYPES", "ENTITY_CODES", "GROUPS", "MIN_TERM", "NOTES", "NOTE_PARENTS",
           "SEARCHED", "Term", "fold", "group_codes", "groups", "key", "plain", "searched_fields",
           "term_of", "texts", "unkey", "words"]
