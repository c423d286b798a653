"""Calendar arithmetic the dialects share (relative dates of saved filters, timeline
intervals)."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, n: int) -> dt.date:
    """``day`` moved by ``n`` months, its day of month clamped to the month's length
    (Jan 31 + 1 month: Feb 28 or 29). OverflowError outside years 1 to 9999."""
    year, month = divmod(day.year * 12 + day.month - 1 + n, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError("date value out of range")
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


__all__ = ["add_months"]
