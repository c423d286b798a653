"""Every built-in entity, one module each; ``ENTITIES`` is the registry's source."""

from __future__ import annotations

from ..spec import EntitySpec
from .deal import DEAL
from .organization import ORGANIZATION
from .person import PERSON
from .pipeline import PIPELINE
from .stage import STAGE
from .user import USER

ENTITIES: tuple[EntitySpec, ...] = (USER, PIPELINE, STAGE, ORGANIZATION, PERSON, DEAL)

__all__ = ["ENTITIES"]
