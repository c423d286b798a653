"""Every built-in entity, one module each; ``ENTITIES`` is the registry's source."""

from __future__ import annotations

from ..spec import EntitySpec
from .activity import ACTIVITY, ACTIVITY_TYPE
from .deal import DEAL
from .filter import FILTER
from .goal import GOAL
from .lead import CONVERSION, LEAD, LEAD_LABEL
from .note import NOTE, NOTE_COMMENT
from .organization import ORGANIZATION
from .person import PERSON
from .pipeline import PIPELINE
from .product import DEAL_DISCOUNT, DEAL_PRODUCT, PRODUCT, PRODUCT_VARIATION
from .project import (
    PROJECT,
    PROJECT_BOARD,
    PROJECT_GROUP,
    PROJECT_PHASE,
    PROJECT_TEMPLATE,
    TASK,
)
from .rate import EXCHANGE_RATE
from .role import ROLE
from .stage import STAGE
from .subscription import SUBSCRIPTION, SUBSCRIPTION_PAYMENT
from .team import TEAM
from .user import USER
from .webhook import WEBHOOK

ENTITIES: tuple[EntitySpec, ...] = (TEAM, ROLE, USER, PIPELINE, STAGE, ORGANIZATION, PERSON, DEAL,
                                    LEAD_LABEL, LEAD, ACTIVITY_TYPE, ACTIVITY, NOTE, PRODUCT,
                                    PRODUCT_VARIATION, DEAL_PRODUCT, CONVERSION,
                                    NOTE_COMMENT, DEAL_DISCOUNT, FILTER,
                                    PROJECT_BOARD, PROJECT_PHASE, PROJECT_TEMPLATE, PROJECT,
                                    PROJECT_GROUP, TASK, SUBSCRIPTION, SUBSCRIPTION_PAYMENT,
                                    EXCHANGE_RATE, GOAL, WEBHOOK)
BY_NAME: dict[str, EntitySpec] = {e.name: e for e in ENTITIES}

__all__ = ["BY_NAME", "ENTITIES"]
