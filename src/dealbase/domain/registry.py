"""The registry: built-in entity specs merged with a company's custom fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .customfields import CustomField
from .entities import ENTITIES
from .errors import NotFound
from .spec import EntitySpec


@dataclass(frozen=True)
class Schema:
    """The entities as one company sees them (built-ins plus its custom fields)."""

    entities: Mapping[str, EntitySpec]
    custom_fields: tuple[CustomField, ...] = ()

    def entity(self, name: str) -> EntitySpec:
        try:
            return self.entities[name]
        except KeyError:
            raise NotFound(f"Unknown entity '{name}'") from None

    def custom_of(self, entity: str) -> tuple[CustomField, ...]:
        """The custom fields an entity shows (a lead shows the deal's, as in Pipedrive)."""
        spec = self.entities.get(entity)
        source = spec.custom_of if spec is not None and spec.custom_of else entity
        return tuple(c for c in self.custom_fields if c.entity == source)


@dataclass(frozen=True)
class Registry:
    """Built-in specs; ``schema(custom)`` gives a company's view."""

    builtins: Mapping[str, EntitySpec] = field(
        default_factory=lambda: {e.name: e for e in ENTITIES}
    )

    @property
    def base(self) -> Schema:
        return Schema(self.builtins)

    def schema(self, custom: Iterable[CustomField]) -> Schema:
        live = tuple(c for c in custom if not c.is_deleted)
        entities = dict(self.builtins)
        for name, spec in self.builtins.items():
            if not spec.has_custom_fields:
                continue
            extra = tuple(f for c in live if c.entity == spec.custom_of for f in c.field_specs())
            if extra:
                entities[name] = spec.with_custom(extra)
        return Schema(entities, live)
