"""Running the CLI in-process against the test database."""

from __future__ import annotations

from click.testing import CliRunner, Result

from dealbase.cli.main import main
from dealbase.store.database import Database


def run(database: Database | str, *args: str, input: str | None = None) -> Result:
    """``dealbase ARGS --database-url URL``; stdout and stderr apart (result.stdout/stderr)."""
    url = database if isinstance(database, str) else database.url
    return CliRunner().invoke(main, [*args, "--database-url", url], input=input,
                              catch_exceptions=False)


def one_line_error(result: Result) -> str:
    """The error a failing command printed: exactly one line on stderr besides the line
    naming the database, and a non-zero exit."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("dealbase: database")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    return lines[0]
