"""Per company: its rate-limit settings and the faults its admins injected, persisted
(tables ``rate_limits`` and ``injected_faults``). What they mean is ``domain.limits``;
the HTTP layer counts calls by them (``api/limits.py``), the admin API and the CLI set
them through ``Service.limits``."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, insert, select, update

from ..domain.errors import NotFound
from ..domain.limits import Fault, LimitSettings, fault_values
from ..store.database import Database
from .records import Records

MAX_FAULTS = 100  # per company


class Limits:
    """Read and change companies' rate-limit settings and injected faults."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.db: Database = records.db
        tables = records.metadata.tables
        self.limits, self.faults = tables["rate_limits"], tables["injected_faults"]

    def _now(self) -> dt.datetime:
        return self.records.clock()

    def load(self, company_id: int) -> tuple[LimitSettings, list[Fault]]:
        """A company's settings (the defaults until changed) and faults, in one read."""
        with self.db.read() as conn:
            return self._settings(conn, company_id), self._faults(conn, company_id)

    def settings(self, company_id: int) -> LimitSettings:
        with self.db.read() as conn:
            return self._settings(conn, company_id)

    def _settings(self, conn: Any, company_id: int) -> LimitSettings:
        t = self.limits
        row = conn.execute(select(t.c.enabled, t.c.plan, t.c.seats, t.c.burst, t.c.search_burst,
                                  t.c.daily_budget).where(t.c.company_id == company_id)).first()
        if row is None:
            return LimitSettings()
        return LimitSettings(bool(row[0]), row[1], int(row[2]), *(
            None if v is None else int(v) for v in row[3:]))

    def configure(self, company_id: int, values: Mapping[str, Any]) -> LimitSettings:
        """Change some of a company's settings (ValidationError for bad ones); the new ones."""
        t = self.limits
        with self.db.write() as conn:
            current = self._settings(conn, company_id)
            new = current.changed(values)
            row = {**asdict(new), "updated_at": self._now()}
            done = conn.execute(update(t).where(t.c.company_id == company_id).values(**row)
                                ).rowcount
            if not done:
                conn.execute(insert(t).values(company_id=company_id, **row))
        return new

    def _faults(self, conn: Any, company_id: int) -> list[Fault]:
        f = self.faults
        rows = conn.execute(select(f.c.id, f.c.method, f.c.path, f.c.kind, f.c.status,
                                   f.c.latency_ms, f.c.rate, f.c.calls, f.c.uid)
                            .where(f.c.company_id == company_id).order_by(f.c.id)).all()
        return [Fault(int(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5]), float(r[6]),
                      None if r[7] is None else int(r[7]), r[8]) for r in rows]

    def list_faults(self, company_id: int) -> list[Fault]:
        with self.db.read() as conn:
            return self._faults(conn, company_id)

    def add_fault(self, company_id: int, values: Mapping[str, Any]) -> Fault:
        """A new fault (ValidationError for bad values, or past MAX_FAULTS)."""
        from ..domain.errors import ValidationError

        checked = {**fault_values(values), "uid": secrets.token_hex(16)}
        with self.db.write() as conn:
            if len(self._faults(conn, company_id)) >= MAX_FAULTS:
                raise ValidationError(f"A company may have at most {MAX_FAULTS} faults")
            fault_id = int(conn.execute(insert(self.faults).values(
                company_id=company_id, created_at=self._now(), **checked)
                .returning(self.faults.c.id)).scalar_one())
        return Fault(fault_id, **checked)

    def remove_fault(self, company_id: int, fault_id: int) -> None:
        """NotFound unless the company has that fault."""
        f = self.faults
        with self.db.write() as conn:
            done = conn.execute(delete(f).where(f.c.company_id == company_id, f.c.id == fault_id)
                                ).rowcount
        if not done:
            raise NotFound(f"fault {fault_id} not found")

    def clear_faults(self, company_id: int) -> int:
        """Remove every fault of the company; how many there were."""
        f = self.faults
        with self.db.write() as conn:
            return int(conn.execute(delete(f).where(f.c.company_id == company_id)).rowcount)


__all__ = ["MAX_FAULTS", "Limits"]
