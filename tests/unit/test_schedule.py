"""Schedule arithmetic (domain.schedule) against hand-computed expectations."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealbase.domain import schedule
from dealbase.domain.errors import ValidationError
from dealbase.domain.schedule import Payment

D = dt.date


def _dates(payments: list[Payment]) -> list[str]:
    return [p.due_at.isoformat() for p in payments]


def test_monthly_from_the_31st_of_january_keeps_to_month_ends() -> None:
    plan = schedule.recurring(D(2024, 1, 31), "monthly", 100.0, 6)
    assert _dates(plan) == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30",
                            "2024-05-31", "2024-06-30"]
    assert _dates(schedule.recurring(D(2025, 1, 31), "monthly", 1.0, 3)) == [
        "2025-01-31", "2025-02-28", "2025-03-31"]
    assert schedule.natural_end(D(2024, 1, 31), "monthly", 6) == D(2024, 7, 31)


def test_quarterly_yearly_and_weekly_cadences() -> None:
    assert _dates(schedule.recurring(D(2025, 11, 30), "quarterly", 300.0, 4)) == [
        "2025-11-30", "2026-02-28", "2026-05-30", "2026-08-30"]
    assert _dates(schedule.recurring(D(2024, 2, 29), "yearly", 1200.0, 3)) == [
        "2024-02-29", "2025-02-28", "2026-02-28"]
    assert _dates(schedule.recurring(D(2025, 12, 25), "weekly", 10.0, 3)) == [
        "2025-12-25", "2026-01-01", "2026-01-08"]
    # an infinite subscription holds its first year
    assert [len(schedule.recurring(D(2025, 1, 1), c, 1.0, None))
            for c in schedule.CADENCES] == [52, 12, 4, 1]


def test_recurring_revenue() -> None:
    assert schedule.revenue("monthly", 100.0, 24) == schedule.Revenue(100.0, 1200.0, 1200.0)
    assert schedule.revenue("monthly", 100.0, 6) == schedule.Revenue(100.0, 1200.0, 600.0)
    assert schedule.revenue("quarterly", 300.0, None) == schedule.Revenue(100.0, 1200.0, 1200.0)
    assert schedule.revenue("yearly", 1200.0, 3) == schedule.Revenue(100.0, 1200.0, 1200.0)
    assert schedule.revenue("weekly", 100.0, 10) == schedule.Revenue(433.33, 5200.0, 1000.0)


def test_cancel_mid_cycle_keeps_what_is_due_and_ends_at_the_next_cycle() -> None:
    plan = schedule.recurring(D(2025, 1, 15), "monthly", 50.0, 12)
    kept = schedule.kept_after_cancel(plan, D(2025, 4, 20))
    assert _dates(kept) == ["2025-01-15", "2025-02-15", "2025-03-15", "2025-04-15"]
    assert schedule.cancel_end(D(2025, 1, 15), "monthly", 12, D(2025, 4, 20)) == D(2025, 5, 15)
    # on a due date: that payment stays, the next cycle ends it
    assert schedule.cancel_end(D(2025, 1, 15), "monthly", 12, D(2025, 4, 15)) == D(2025, 5, 15)
    # after the last cycle: the natural end
    assert schedule.cancel_end(D(2025, 1, 15), "monthly", 2, D(2025, 9, 1)) == D(2025, 3, 15)
    assert schedule.cancel_end(D(2024, 1, 31), "monthly", None, D(2024, 2, 1)) == D(2024, 2, 29)


def test_movements_and_repricing() -> None:
    plan = schedule.recurring(D(2025, 1, 1), "monthly", 100.0, 4)
    plan = schedule.reprice(plan, 150.0, D(2025, 3, 1))
    plan += [Payment(D(2025, 2, 10), 20.0, "additional", "setup")]
    marked = schedule.movements(plan, ends=True)
    assert [(p.due_at.isoformat(), p.amount, p.change_amount, p.revenue_movement_type)
            for p in marked] == [
        ("2025-01-01", 100.0, 100.0, "new"), ("2025-02-01", 100.0, 0.0, "recurring"),
        ("2025-02-10", 20.0, 0.0, "none"), ("2025-03-01", 150.0, 50.0, "expansion"),
        ("2025-04-01", 150.0, 0.0, "churn")]
    down = schedule.movements(schedule.reprice(plan, 80.0, D(2025, 4, 1)), ends=False)
    assert [p.revenue_movement_type for p in down if p.payment_type == "recurring"] == [
        "new", "recurring", "expansion", "contraction"]


def test_payments_are_checked() -> None:
    good = schedule.payments_of([{"amount": 10, "description": "x", "due_at": "2025-01-31"}],
                                "installment")
    assert good == [Payment(D(2025, 1, 31), 10.0, "installment", "x")]
    for bad in ([], "x", [{"amount": -1, "due_at": "2025-01-01"}],
                [{"amount": 0, "due_at": "2025-01-01"}], [{"amount": 1, "due_at": "2025-02-30"}],
                [{"amount": 1, "due_at": "tomorrow"}], [{"amount": "1", "due_at": "2025-01-01"}],
                [{"amount": 1}], [{"amount": 1, "due_at": "2025-01-01", "extra": 1}], [1]):
        with pytest.raises(ValidationError):
            schedule.payments_of(bad, "installment")
    for call in (lambda: schedule.cadence_of("daily"), lambda: schedule.cycles_of(0),
                 lambda: schedule.cycles_of(True), lambda: schedule.amount_of("a", -5),
                 lambda: schedule.date_of("d", "2025-13-01"),
                 lambda: schedule.recurring(D(9999, 6, 1), "monthly", 1.0, 12)):
        with pytest.raises(ValidationError):
            call()


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)),
       st.sampled_from(schedule.CADENCES), st.integers(1, 60),
       st.integers(1, 10**6))
def test_a_schedule_sums_to_cycles_times_amount(start: dt.date, cadence: str, cycles: int,
                                                cents: int) -> None:
    amount = cents / 100
    plan = schedule.recurring(start, cadence, amount, cycles)
    assert len(plan) == cycles and plan[0].due_at == start
    assert schedule.total(plan) == pytest.approx(amount * cycles)
    assert all(a.due_at < b.due_at for a, b in zip(plan, plan[1:], strict=False))
    assert plan[-1].due_at < schedule.natural_end(start, cadence, cycles)  # type: ignore[operator]
    if cadence != "weekly":  # the start's day of month, or the month's last day
        assert all(p.due_at.day == start.day or (p.due_at + dt.timedelta(days=1)).day == 1
                   for p in plan)


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2050, 12, 31)),
       st.sampled_from(schedule.CADENCES), st.integers(0, 4000))
def test_a_cancellation_ends_at_the_first_cycle_after_its_date(start: dt.date, cadence: str,
                                                               later: int) -> None:
    end = start + dt.timedelta(days=later)
    found = schedule.cancel_end(start, cadence, None, end)
    n = 0
    while schedule.cycle_date(start, cadence, n) <= end:
        n += 1
    assert found == schedule.cycle_date(start, cadence, n)
