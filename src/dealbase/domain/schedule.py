"""The arithmetic of subscriptions: payment schedules and recurring revenue (pure functions).

A recurring subscription bills ``cycle_amount`` every cycle of its cadence from its
``start_date``: cycle ``n`` falls ``n`` cadences after the start, always counted from the
start (a subscription starting on 31 January bills on 28 or 29 February, then 31 March,
30 April…; ``dates.add_months``). A finite one has ``cycles_count`` cycles and ends when
the cycle after its last would begin; an infinite one keeps the payments of its first year
(``HORIZON``) until it is cancelled. An installment subscription's schedule is the list of
payments given. Extra payments (``additional``) may sit beside a recurring schedule.

Recurring revenue (what a deal shows): ``arr`` = cycle amount × cycles per year,
``mrr`` = ``arr`` / 12, ``acv`` = cycle amount × the cycles of its first year (the whole
contract when it is shorter than a year; ``arr`` when it is infinite).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .dates import add_months
from .errors import Problem, Reason, ValidationError, combined, invalid
from .types import FLOAT_LIMIT, clean_text

CADENCES = ("weekly", "monthly", "quarterly", "yearly")
MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
PER_YEAR = {"weekly": 52, "monthly": 12, "quarterly": 4, "yearly": 1}
HORIZON = PER_YEAR  # the cycles an infinite subscription holds: its first year
MAX_CYCLES = 520
MAX_PAYMENTS = 500
PAYMENT_TYPES = ("recurring", "additional", "installment")
MOVEMENTS = ("new", "recurring", "expansion", "contraction", "none", "churn")
PAYMENT_KEYS = frozenset({"amount", "description", "due_at"})


@dataclass(frozen=True)
class Payment:
    """One payment of a schedule."""

    due_at: dt.date
    amount: float
    payment_type: str = "recurring"
    description: str | None = None
    change_amount: float = 0.0
    revenue_movement_type: str = "none"
    id: int | None = None  # the stored payment it is (None: a new one)


def cycle_date(start: dt.date, cadence: str, n: int) -> dt.date:
    """The date of cycle ``n`` (0: the start), counted from the start."""
    try:
        if cadence == "weekly":
            return start + dt.timedelta(weeks=n)
        return add_months(start, MONTHS[cadence] * n)
    except OverflowError:
        raise invalid("start_date", "the schedule would run past the year 9999") from None


def recurring(start: dt.date, cadence: str, amount: float, cycles: int | None
              ) -> list[Payment]:
    """The recurring payments of a subscription (``cycles`` None: infinite, its first
    year)."""
    count = HORIZON[cadence] if cycles is None else cycles
    return [Payment(cycle_date(start, cadence, n), amount) for n in range(count)]


def natural_end(start: dt.date, cadence: str, cycles: int | None) -> dt.date | None:
    """When a finite subscription ends: the date its next cycle would begin (None if
    infinite)."""
    return None if cycles is None else cycle_date(start, cadence, cycles)


def cancel_end(start: dt.date, cadence: str, cycles: int | None, end: dt.date) -> dt.date:
    """The end of a subscription cancelled on ``end``: the due date of the cycle that would
    follow ``end`` (no later than its natural end)."""
    if cadence == "weekly":
        n = max(0, (end - start).days // 7)
    else:
        n = max(0, ((end.year - start.year) * 12 + end.month - start.month) // MONTHS[cadence])
    while n > 0 and cycle_date(start, cadence, n - 1) > end:
        n -= 1
    while cycle_date(start, cadence, n) <= end:
        n += 1
    found = cycle_date(start, cadence, n)
    natural = natural_end(start, cadence, cycles)
    return found if natural is None or found < natural else natural


def kept_after_cancel(payments: Sequence[Payment], end: dt.date) -> list[Payment]:
    """The payments a cancellation on ``end`` keeps: those due on or before it."""
    return [p for p in payments if p.due_at <= end]


def reprice(payments: Sequence[Payment], amount: float, effective: dt.date) -> list[Payment]:
    """Recurring payments due on or after ``effective`` at the new ``amount``."""
    return [replace(p, amount=amount) if p.payment_type == "recurring" and p.due_at >= effective
            else p for p in payments]


def movements(payments: Sequence[Payment], ends: bool) -> list[Payment]:
    """The schedule in due order with each payment's ``change_amount`` (from the payment
    before it) and ``revenue_movement_type``: the first ``new``, then ``recurring``,
    ``expansion`` or ``contraction``; the last ``churn`` when the subscription ends
    (``ends``). Additional payments move nothing (``none``, 0)."""
    ordered = sorted(payments, key=lambda p: (p.due_at, p.payment_type == "additional"))
    series = [n for n, p in enumerate(ordered) if p.payment_type != "additional"]
    out = [replace(p, change_amount=0.0, revenue_movement_type="none") for p in ordered]
    previous: float | None = None
    for place, n in enumerate(series):
        p = ordered[n]
        change = p.amount if previous is None else round(p.amount - previous, 2)
        if previous is None:
            kind = "new"
        elif ends and place == len(series) - 1:
            kind = "churn"
        else:
            kind = "expansion" if change > 0 else "contraction" if change < 0 else "recurring"
        out[n] = replace(p, change_amount=change, revenue_movement_type=kind)
        previous = p.amount
    return out


def total(payments: Sequence[Payment]) -> float:
    return round(sum(p.amount for p in payments), 2)


@dataclass(frozen=True)
class Revenue:
    mrr: float
    arr: float
    acv: float


def revenue(cadence: str, amount: float, cycles: int | None) -> Revenue:
    """What a recurring subscription brings in a month, a year and its contract's year."""
    per_year = PER_YEAR[cadence]
    arr = round(amount * per_year, 2)
    acv = arr if cycles is None else round(amount * min(cycles, per_year), 2)
    return Revenue(round(arr / 12, 2), arr, acv)


# ---- checking what a client sends -----------------------------------------------------

def amount_of(field: str, value: Any) -> float:
    """A payment amount: a positive number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(field, "must be a number")
    if not 0 < value <= FLOAT_LIMIT:
        raise invalid(field, "must be a positive number")
    return float(value)


def date_of(field: str, value: Any) -> dt.date:
    """A date ``YYYY-MM-DD``."""
    if not isinstance(value, str) or not value.isascii() or len(value.strip()) != 10:
        raise invalid(field, "must be a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise invalid(field, "must be a date (YYYY-MM-DD)") from None


def cadence_of(value: Any) -> str:
    if value not in CADENCES:
        raise invalid("cadence_type", f"must be one of {', '.join(CADENCES)}")
    return str(value)


def cycles_of(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CYCLES:
        raise invalid("cycles_count", f"must be a whole number from 1 to {MAX_CYCLES}")
    return value


def payments_of(value: Any, payment_type: str, *, required: bool = True) -> list[Payment]:
    """``[{amount, description, due_at}]`` as payments of ``payment_type``."""
    if not isinstance(value, list) or (required and not value) or len(value) > MAX_PAYMENTS:
        raise invalid("payments", f"must be a list of {'1' if required else '0'} to "
                      f"{MAX_PAYMENTS} payments {{amount, description, due_at}}")
    out: list[Payment] = []
    problems: list[Problem] = []
    for n, item in enumerate(value):
        where = f"payments[{n}]"
        try:
            if not isinstance(item, Mapping):
                raise invalid(where, "must be an object {amount, description, due_at}")
            unknown = set(item) - PAYMENT_KEYS
            if unknown:
                raise invalid(where, f"unknown keys {', '.join(sorted(map(str, unknown)))[:100]}",
                              Reason.UNKNOWN_FIELD)
            if "amount" not in item or "due_at" not in item:
                raise invalid(where, "needs amount and due_at", Reason.REQUIRED)
            description = item.get("description")
            if description is not None:
                description = clean_text(f"{where}.description", description, 255)
            out.append(Payment(date_of(f"{where}.due_at", item["due_at"]),
                               amount_of(f"{where}.amount", item["amount"]), payment_type,
                               description))
        except ValidationError as error:
            problems.extend(error.problems)
    if problems:
        raise combined(problems)
    return out


__all__ = ["CADENCES", "HORIZON", "MAX_CYCLES", "MAX_PAYMENTS", "MOVEMENTS", "PAYMENT_TYPES",
           "PER_YEAR", "Payment", "Revenue", "amount_of", "cadence_of", "cancel_end",
           "cycle_date", "cycles_of", "date_of", "kept_after_cancel", "movements",
           "natural_end", "payments_of", "recurring", "reprice", "revenue", "total"]
