"""The change log: one row per record write, appended in the writer's transaction.

Rows carry a monotonically increasing ``seq``; later consumers (Pipedrive
``/recents`` and ``/flow``, Pipeliner ``after``, webhooks) read them in order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Table, insert, select


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


class ChangeLog:
    def __init__(self, table: Table) -> None:
        self.table = table

    def append(self, conn: Connection, company_id: int, entity: str, record_id: int, action: str,
               changes: dict[str, list[Any]], user_id: int | None, at: dt.datetime) -> None:
        conn.execute(insert(self.table).values(
            company_id=company_id, entity=entity, record_id=record_id, action=action,
            changes={k: [_plain(old), _plain(new)] for k, (old, new) in changes.items()},
            user_id=user_id, created_at=at,
        ))

    def since(self, conn: Connection, company_id: int, after_seq: int = 0,
              limit: int = 500) -> list[dict[str, Any]]:
        t = self.table
        rows = conn.execute(
            select(t).where(t.c.company_id == company_id, t.c.seq > after_seq)
            .order_by(t.c.seq).limit(limit)
        ).mappings().all()
        return [dict(r) for r in rows]
