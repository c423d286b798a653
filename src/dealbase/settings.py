"""Settings: every knob declared once with its default and help; read from DEALBASE_* env."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field


def _setting(default: object, help: str) -> object:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    database_url: str = _setting("sqlite:///dealbase.db", "SQLAlchemy URL of the database")  # type: ignore[assignment]
    default_page_size: int = _setting(100, "Items per page when the client gives no limit")  # type: ignore[assignment]
    max_page_size: int = _setting(500, "Largest page a client may ask for")  # type: ignore[assignment]
    max_body_bytes: int = _setting(1_048_576, "Largest request body accepted, in bytes")  # type: ignore[assignment]
    pool_size: int = _setting(8, "Database connections per worker")  # type: ignore[assignment]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``DEALBASE_<NAME>`` variables, then explicit overrides; fails fast."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"DEALBASE_{f.name.upper()}")
            if raw is None:
                continue
            if f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValueError(f"DEALBASE_{f.name.upper()} must be an integer") from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.max_page_size < 1 or settings.default_page_size > settings.max_page_size:
            raise ValueError("page sizes must satisfy 1 <= default_page_size <= max_page_size")
        return settings
