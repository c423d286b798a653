"""``domain.goals``: a goal's progress from deals, stage moves and activities (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from dealbase.domain import goals
from dealbase.domain.errors import ValidationError

JAN = dt.datetime(2030, 1, 1)
START, END = goals.period(dt.date(2030, 1, 1), dt.date(2030, 1, 7), dt.date(2030, 1, 1), None)


def _day(n: float) -> dt.datetime:
    return JAN + dt.timedelta(days=n)


def _deal(deal_id: int, *, owner: int = 1, pipeline: int = 10, status: str = "open",
          value: float = 100.0, currency: str = "EUR", added: float = 0.0,
          won: float | None = None, expected: dt.date | None = None,
          probability: int = 100) -> goals.Deal:
    return goals.Deal(deal_id, owner, pipeline, status, value, currency, _day(added),
                      None if won is None else _day(won), expected, probability)


DEALS = [
    _deal(1, status="won", won=2),  # won Jan 3
    _deal(2, status="won", won=7.5, currency="USD", value=40),  # won Jan 8 12:00: after
    _deal(3, status="won", won=6.9, pipeline=11, value=30),  # won Jan 7, pipeline 11
    _deal(4, owner=2, status="won", won=1, value=5),  # someone else's
    _deal(5, added=-3, expected=dt.date(2030, 1, 7), probability=25, value=80),
    _deal(6, status="lost", added=3, expected=dt.date(2030, 1, 2)),
]


def test_period_is_whole_days_within_the_goal() -> None:
    assert START == JAN
    assert (END - START).days == 7
    with pytest.raises(ValidationError):
        goals.period(dt.date(2030, 1, 2), dt.date(2030, 1, 1), dt.date(2030, 1, 1), None)
    with pytest.raises(ValidationError):
        goals.period(dt.date(2029, 12, 31), dt.date(2030, 1, 1), dt.date(2030, 1, 1), None)
    with pytest.raises(ValidationError):
        goals.period(dt.date(2030, 1, 1), dt.date(2030, 2, 1), dt.date(2030, 1, 1),
                     dt.date(2030, 1, 31))
    with pytest.raises(ValidationError):
        goals.period(dt.date(2030, 1, 1), dt.date.max, dt.date(2030, 1, 1), None)


@pytest.mark.parametrize(("target", "expected"), [
    (goals.Target("deals_won", owners=frozenset({1})), 2),  # 1 and 3
    (goals.Target("deals_won"), 3),  # and 4 (anyone's)
    (goals.Target("deals_won", pipelines=frozenset({10}), owners=frozenset({1})), 1),
    (goals.Target("deals_won", "sum", "EUR", owners=frozenset({1})), 130),
    (goals.Target("deals_won", "sum", "USD"), 0),  # deal 2 was won after the period
    (goals.Target("deals_started", owners=frozenset({1})), 4),  # 1, 2, 3, 6 (5: Dec 29)
    # won in EUR (130) and deal 5 expected on Jan 7 at 25 % (20); deal 6 is lost
    (goals.Target("revenue_forecast", "sum", "EUR", owners=frozenset({1})), 150),
    (goals.Target("deals_won", owners=frozenset()), 0),
])
def test_deal_goals(target: goals.Target, expected: int) -> None:
    assert goals.progress(target, START, END, deals=DEALS).whole == expected


def test_deals_progressed_count_moves_into_the_stage_once_per_deal() -> None:
    moves = [
        (1, _day(0), None, 7),  # added straight into the stage: not progressed
        (2, _day(-1), None, 6), (2, _day(1), 6, 7), (2, _day(2), 7, 6), (2, _day(3), 6, 7),
        (3, _day(-1), None, 6), (3, _day(-0.5), 6, 7),  # before the period
        (4, _day(0), None, 6), (4, _day(2), "6", "7"),  # someone else's
        (5, _day(0), None, 6), (5, _day(8), 6, 7),  # after the period
    ]
    target = goals.Target("deals_progressed", stage_id=7, owners=frozenset({1}))
    assert goals.progress(target, START, END, deals=DEALS, moves=moves).whole == 1
    anyone = goals.Target("deals_progressed", "sum", "EUR", stage_id=7)
    found = goals.progress(anyone, START, END, deals=DEALS, moves=moves)
    assert (found.whole, found.without_rate) == (5, {"USD"})  # (USD 40 has no rate)
    converted = goals.Target("deals_progressed", "sum", "EUR", stage_id=7,
                             rates={("EUR", "USD"): 2.0})
    found = goals.progress(converted, START, END, deals=DEALS, moves=moves)
    assert (found.whole, found.without_rate) == (25, set())  # 5 + 40 / 2


def test_activity_goals() -> None:
    activities = [
        goals.Activity(1, 1, "call", _day(0), _day(1)),
        goals.Activity(2, 1, "meeting", _day(1)),
        goals.Activity(3, 1, "call", _day(-5), _day(2)),
        goals.Activity(4, 2, "call", _day(1), _day(1)),
        goals.Activity(5, 1, "call", _day(7), _day(7)),  # Jan 8: after
    ]
    mine = frozenset({1})
    for target, expected in (
            (goals.Target("activities_added", owners=mine), 2),
            (goals.Target("activities_added", activity_types=frozenset({"call"}),
                          owners=mine), 1),
            (goals.Target("activities_completed", owners=mine), 2),
            (goals.Target("activities_completed"), 3),
            (goals.Target("activities_completed", activity_types=frozenset({"email"})), 0)):
        assert goals.progress(target, START, END, activities=activities).whole == expected


def test_sums_round_half_up_and_ids_compare_as_sets() -> None:
    deal = _deal(1, status="won", won=1, value=2.5)
    assert goals.progress(goals.Target("deals_won", "sum", "EUR"), START, END,
                          deals=[deal]).whole == 3
    assert goals.same_ids([1, 2], [2, 1]) and goals.same_ids(None, None)
    assert not goals.same_ids([1], None) and not goals.same_ids(None, [1])


def test_a_company_goal_is_the_callers_company() -> None:
    goals.company_assignee("company", 5, 5)
    goals.company_assignee("person", 6, 5)
    with pytest.raises(ValidationError):
        goals.company_assignee("company", 6, 5)
