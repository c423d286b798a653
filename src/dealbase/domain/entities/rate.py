"""The exchange rate: what one unit of a currency is worth in another, as a company's
admins keep it (dealbase's own; Pipedrive converts with rates of its own). Converted
totals use a pair's rate, or the inverse of the opposite pair's; a currency with neither
is not converted (the total says so, see ``domain.currencies.convert``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..currencies import BY_CODE
from ..errors import Reason, invalid
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import identity, lifecycle

MAX_RATE = 1e12


def _pair(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """Two known currencies, not the same; a positive finite rate; one rate per pair."""
    for key in ("from_currency", "to_currency"):
        if key in values:
            code = str(values[key]).strip().upper()
            if code not in BY_CODE:
                raise invalid(key, f"{values[key]!r} is not a currency code")
            values[key] = code
    source = values.get("from_currency", (before or {}).get("from_currency"))
    target = values.get("to_currency", (before or {}).get("to_currency"))
    if source == target:
        raise invalid("to_currency", "must differ from from_currency")
    rate = values.get("rate")
    if rate is not None and not (0 < rate <= MAX_RATE and math.isfinite(rate)):
        raise invalid("rate", f"must be a positive number of at most {MAX_RATE:g}")
    if "from_currency" in values or "to_currency" in values:
        same = lookup.first("exchange_rate", {"from_currency": source, "to_currency": target},
                            "id")
        if same is not None and (before is None or same["id"] != before["id"]):
            raise invalid("to_currency", f"a rate from {source} to {target} exists",
                          Reason.DUPLICATE)


EXCHANGE_RATE = EntitySpec(
    name="exchange_rate",
    table="exchange_rates",
    fields=(
        *identity(),
        FieldSpec("from_currency", Kind.TEXT, required=True, max_length=3, nullable=False,
                  label="From currency"),
        FieldSpec("to_currency", Kind.TEXT, required=True, max_length=3, nullable=False,
                  label="To currency"),
        FieldSpec("rate", Kind.FLOAT, required=True, nullable=False, label="Rate"),
        *lifecycle(),
    ),
    rules=(_pair,),
)
