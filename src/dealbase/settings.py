"""Settings: every knob declared once with its default and help; read from DEALBASE_* env.

The README's Settings table and ``dealbase --help`` are both generated from the fields
below (``settings_table``, ``settings_help``), so the three cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import os
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LOG_LEVELS = ("debug", "info", "warning", "error")
DATABASE_FILE = "dealbase.db"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _setting(default: object, help: str, option: str = "", shown: str = "") -> object:
    """``option``: the command-line option that sets it too (``--x`` on every command that
    opens the database, ``serve --x`` on ``serve`` only); ``shown``: the default in words,
    when the value is worked out at run time."""
    return field(default=default, metadata={"help": help, "option": option, "shown": shown})


@dataclass(frozen=True)
class Settings:
    data_dir: str = _setting(  # type: ignore[assignment]
        "", "Directory of the default SQLite database, `dealbase.db`; created on first use",
        shown="`$XDG_DATA_HOME/dealbase`, else `~/.local/share/dealbase`")
    database_url: str = _setting(  # type: ignore[assignment]
        "", "Database URL: `sqlite:///PATH` (a relative path is taken from the current "
        "folder) or `postgresql://USER:PASSWORD@HOST:PORT/NAME`", "--database-url",
        shown="`dealbase.db` in the data directory")
    host: str = _setting("127.0.0.1", "Interface the server binds", "serve --host")  # type: ignore[assignment]
    port: int = _setting(8000, "Port the server listens on", "serve --port")  # type: ignore[assignment]
    workers: int = _setting(1, "Server worker processes", "serve --workers")  # type: ignore[assignment]
    log_level: str = _setting(  # type: ignore[assignment]
        "warning", "Server log level: debug, info, warning or error (info adds the server's "
        "start and stop lines)", "serve --log-level")
    access_log: bool = _setting(  # type: ignore[assignment]
        False, "One line per request on stderr (method, path, status), whatever the log level",
        "serve --access-log")
    default_page_size: int = _setting(100, "Items per page when the client gives no limit")  # type: ignore[assignment]
    max_page_size: int = _setting(500, "Largest page a client may ask for")  # type: ignore[assignment]
    max_body_bytes: int = _setting(1_048_576, "Largest request body accepted, in bytes")  # type: ignore[assignment]
    pool_size: int = _setting(8, "Database connections per worker")  # type: ignore[assignment]
    redis_url: str = _setting(  # type: ignore[assignment]
        "", "Redis URL (`redis://HOST:PORT/DB`) where every worker counts rate limits and "
        "injected faults together; unset: each worker counts in its own memory",
        shown="unset")
    webhook_dispatcher: bool = _setting(  # type: ignore[assignment]
        True, "Run the webhook dispatcher inside `dealbase serve` (off: run `dealbase worker` "
        "on its own, on as many machines as wanted with PostgreSQL)")
    webhook_allow: str = _setting(  # type: ignore[assignment]
        "", "Addresses or networks (comma-separated, e.g. `127.0.0.1,10.0.0.0/8`) that webhooks "
        "may reach although they are not public; the SSRF guard refuses loopback, private and "
        "link-local targets otherwise", shown="none")
    webhook_poll_ms: int = _setting(  # type: ignore[assignment]
        500, "How often an idle webhook dispatcher looks for new events, in milliseconds")
    webhook_keep_days: int = _setting(  # type: ignore[assignment]
        30, "Days the webhook delivery log keeps a delivered event (and can replay it); "
        "pending deliveries are kept until delivered")

    def __post_init__(self) -> None:
        # Built directly (tests, the benchmark): the same defaults as from_env, nothing made.
        if not self.data_dir:
            object.__setattr__(self, "data_dir", str(default_data_dir(os.environ)))
        if not self.database_url:
            object.__setattr__(self, "database_url", _default_url(self.data_dir))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, /, **overrides: object) -> Settings:
        """Settings from ``DEALBASE_<NAME>`` variables, then explicit overrides; fails fast
        (``ValueError``, one line). The default data directory is created when the default
        database is chosen; a relative SQLite path is made absolute."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            name = f"DEALBASE_{f.name.upper()}"
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(name, str(f.type), raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        data_dir = Path(str(values.get("data_dir") or default_data_dir(env))).expanduser().absolute()
        values["data_dir"] = str(data_dir)
        if not values.get("database_url"):
            data_dir.mkdir(parents=True, exist_ok=True)
            values["database_url"] = _default_url(str(data_dir))
        values["database_url"] = _checked_url(str(values["database_url"]))
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.max_page_size < 1 or settings.default_page_size > settings.max_page_size:
            raise ValueError("page sizes must satisfy 1 <= default_page_size <= max_page_size")
        if settings.log_level not in LOG_LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}")
        if not 0 <= settings.port <= 65535 or settings.workers < 1 or settings.pool_size < 1:
            raise ValueError("port must be 0-65535, workers and pool_size at least 1")
        if settings.webhook_poll_ms < 1 or settings.webhook_keep_days < 1:
            raise ValueError("webhook_poll_ms and webhook_keep_days must be at least 1")
        try:
            from .domain.webhooks import allow_list

            allow_list(settings.webhook_allow)
        except ValueError:
            raise ValueError("DEALBASE_WEBHOOK_ALLOW must list addresses or networks "
                             "(CIDR), comma-separated") from None
        return settings

    @property
    def database_label(self) -> str:
        """The database in one line: a SQLite file's absolute path, a PostgreSQL URL
        without its password."""
        from sqlalchemy.engine import URL, make_url

        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite":
            return url.database if url.database not in (None, "") else ":memory:"
        return URL.create(url.drivername, url.username, None, url.host, url.port, url.database,
                          url.query).render_as_string()


def default_data_dir(env: Mapping[str, str]) -> Path:
    """``$DEALBASE_DATA_DIR``, else ``$XDG_DATA_HOME/dealbase``, else
    ``~/.local/share/dealbase``."""
    if env.get("DEALBASE_DATA_DIR"):
        return Path(env["DEALBASE_DATA_DIR"]).expanduser()
    xdg = env.get("XDG_DATA_HOME")
    if xdg and Path(xdg).is_absolute():  # (the XDG spec: a relative value is ignored)
        return Path(xdg) / "dealbase"
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".local" / "share" / "dealbase"


def _default_url(data_dir: str) -> str:
    return f"sqlite:///{Path(data_dir) / DATABASE_FILE}"


def _parse(name: str, kind: str, raw: str) -> object:
    if kind in ("int", "<class 'int'>"):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{name} must be an integer") from None
    if kind in ("bool", "<class 'bool'>"):
        if raw.lower() in _TRUE + _FALSE:
            return raw.lower() in _TRUE
        raise ValueError(f"{name} must be one of {', '.join(_TRUE + _FALSE)}")
    return raw


def _checked_url(url: str) -> str:
    """The URL, a relative SQLite path made absolute; ``ValueError`` when it is none we
    serve (the message never repeats the URL: it may hold a password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError("the database URL is not a URL; expected sqlite:///PATH or "
                         "postgresql://USER:PASSWORD@HOST:PORT/NAME") from None
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        path = parsed.database
        if path in (None, "", ":memory:") or path.startswith("file:"):
            return url
        return parsed.set(database=os.path.abspath(os.path.expanduser(path))).render_as_string(
            hide_password=False)
    if driver in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        if not parsed.database:
            raise ValueError("the PostgreSQL URL names no database: postgresql://USER@HOST/NAME")
        return url
    raise ValueError(f"unsupported database URL scheme {driver!r}; expected sqlite:/// or "
                     "postgresql://")


def _option(f: dataclasses.Field[object]) -> str:
    return str(f.metadata.get("option", ""))


def _default(f: dataclasses.Field[object]) -> str:
    if f.metadata["shown"]:
        return str(f.metadata["shown"])
    if isinstance(f.default, bool):
        return "off" if not f.default else "on"
    return str(f.default)


def settings_table() -> str:
    """The README's Settings table (Markdown), from the fields' help."""
    rows = ["| environment variable | command-line option | default | meaning |",
            "|---|---|---|---|"]
    for f in dataclasses.fields(Settings):
        option = f"`{_option(f)}`" if _option(f) else "–"
        rows.append(f"| `DEALBASE_{f.name.upper()}` | {option} | {_default(f)} | "
                    f"{f.metadata['help']} |")
    return "\n".join(rows) + "\n"


def settings_help() -> str:
    """The settings as ``dealbase --help`` lists them (click keeps ``\\b`` blocks as they
    are)."""
    lines = ["Settings (environment variables; a command-line option wins over its variable):",
             "", "\b"]
    for f in dataclasses.fields(Settings):
        option = f" [{_option(f)}]" if _option(f) else ""
        default = f" (default: {_default(f)})".replace("`", "")
        lines.append(f"DEALBASE_{f.name.upper()}{option}")
        lines += textwrap.wrap(f"{str(f.metadata['help']).replace('`', '')}{default}", 76,
                               initial_indent="  ", subsequent_indent="  ")
    return "\n".join(lines)


def setting_help(name: str) -> str:
    """One setting's help, for its command-line option."""
    f = next(f for f in dataclasses.fields(Settings) if f.name == name)
    text = f"{f.metadata['help']}. Default: {_default(f)}. Env DEALBASE_{name.upper()}."
    return text.replace("`", "")
