"""Custom fields by name: a map from the names people read to the keys the API takes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from ._errors import UnknownCustomFieldError

Version = Literal["v1", "v2"]


class FieldMap:
    """An entity's custom fields (``edit_flag`` true in its ``*Fields`` list), name ↔ key."""

    def __init__(self, fields: Iterable[Mapping[str, Any]]) -> None:
        self.keys_by_name: dict[str, list[str]] = {}
        self.names_by_key: dict[str, str] = {}
        for field in fields:
            if field.get("edit_flag") is True and isinstance(field.get("key"), str):
                key, name = field["key"], str(field.get("name"))
                self.names_by_key[key] = name
                self.keys_by_name.setdefault(name, []).append(key)

    def key(self, name_or_key: str) -> str:
        """The key of the custom field named ``name_or_key`` (or with that key)."""
        keys = self.keys_by_name.get(name_or_key)
        if keys is not None:
            if len(keys) > 1:
                raise UnknownCustomFieldError(
                    f"{len(keys)} custom fields are named {name_or_key!r}: use a key ({', '.join(keys)})")
            return keys[0]
        if name_or_key in self.names_by_key:
            return name_or_key
        raise UnknownCustomFieldError(f"no custom field named {name_or_key!r}")

    def encode(self, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
        """``values`` by name as a request body's part: v1 at the top, v2 in ``custom_fields``."""
        keyed = {self.key(name): value for name, value in values.items()}
        if version == "v1" or not keyed:
            return keyed
        return {"custom_fields": keyed}


class Record(Mapping[str, Any]):
    """One record as the server sent it (a read-only mapping), plus its custom fields by name.

    ``record["title"]`` reads a key as sent; ``record.custom("Budget code")`` reads a custom
    field by name (or key) wherever the API version put it; ``record.customs()`` gives them
    all by name.
    """

    __slots__ = ("_data", "_fields")

    def __init__(self, data: Mapping[str, Any], fields: FieldMap | None = None) -> None:
        self._data = dict(data)
        self._fields = fields

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Record({self._data!r})"

    def __eq__(self, other: object) -> bool:
        return dict(self) == dict(other) if isinstance(other, Mapping) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (a mapping of mutable values)

    def to_dict(self) -> dict[str, Any]:
        """A copy of the record as a plain dict."""
        return dict(self._data)

    def _values(self) -> Mapping[str, Any]:
        nested = self._data.get("custom_fields")
        return nested if isinstance(nested, Mapping) else self._data

    def custom(self, name: str, default: Any = None) -> Any:
        """The value of the custom field named (or keyed) ``name``; ``default`` when unset."""
        if self._fields is None:
            raise UnknownCustomFieldError(f"{name!r}: this kind of record has no custom fields")
        value = self._values().get(self._fields.key(name))
        return default if value is None else value

    def customs(self) -> dict[str, Any]:
        """Every custom field the record carries, by name."""
        if self._fields is None:
            return {}
        values = self._values()
        return {name: values[key] for key, name in self._fields.names_by_key.items() if key in values}
