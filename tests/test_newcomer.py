"""A newcomer's first hour, from the repository's own texts.

* The README's Quickstart, run literally: its ``<!-- quickstart -->`` shell blocks are
  typed, line by line, into two bash "terminals" in a fresh folder holding a copy of this
  checkout (so ``python3 -m venv``, ``pip install -e .`` from PyPI, ``dealbase serve``,
  ``dealbase demo`` and ``curl`` all run as written). Only three things are given from
  outside, as a person would: the port (``DEALBASE_PORT`` and the URLs' ``8000``, so that
  parallel runs never collide), the data directory (``XDG_DATA_HOME`` in the temporary
  folder) and the token the demo printed in place of ``<TOKEN>``.
* Every relative link and file path the README mentions exists; there is a LICENSE (the
  Apache License 2.0 that pyproject declares); the declared dependencies are exactly the
  third-party packages the shipped code imports.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def quickstart_blocks(text: str) -> list[list[str]]:
    """The shell blocks right after each ``<!-- quickstart -->`` marker, as command lines."""
    blocks = re.findall(r"<!-- quickstart -->\s*\n```(?:sh|bash|console)\n(.*?)\n```", text, re.S)
    return [[line for line in block.splitlines() if line.strip() and not line.startswith("#")]
            for block in blocks]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Terminal:
    """One bash reading commands one at a time, as typed; stdout collected per command."""

    def __init__(self, cwd: Path, env: dict[str, str], log: IO[str]) -> None:
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=cwd, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def run(self, command: str, timeout: float) -> tuple[int, str]:
        """(exit status, stdout) of one command line."""
        marker = f"__done_{secrets.token_hex(6)}__"
        assert self.proc.stdin is not None
        # (on a line of its own even when the output does not end with one, as curl's)
        self.proc.stdin.write(f"{command}\nprintf '\\n{marker} %d\\n' $?\n")
        self.proc.stdin.flush()
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{command!r} took over {timeout} s") from None
            if line.startswith(marker):
                return int(line.split()[1]), "".join(out)[:-1]
            out.append(line)

    def close(self) -> None:
        """End the shell (stdin closed: it exits; else killed) and its pipes."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.drain.join(timeout=10)
        self.proc.stdout.close()


def _checkout_copy(target: Path) -> None:
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "src", target / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))


def _environment(tmp: Path, port: int) -> dict[str, str]:
    """This process's environment as a fresh login has it: no virtual environment active,
    no dealbase settings; the port and data directory of this test."""
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DEALBASE_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p != venv_bin or sys.prefix == sys.base_prefix)
    env.update(XDG_DATA_HOME=str(tmp / "data"), DEALBASE_PORT=str(port))
    return env


def _wait_ready(port: int, deadline: float) -> None:
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not become ready"
        time.sleep(0.2)


def test_quickstart_as_written(tmp_path: Path) -> None:
    first, second = quickstart_blocks(README)
    assert first[-1].startswith("dealbase serve"), "the first block ends by serving"
    assert any("curl" in line and "<TOKEN>" in line for line in second)
    _checkout_copy(tmp_path)
    port = _free_port()
    env = _environment(tmp_path, port)
    with open(tmp_path / "stderr.log", "w") as log:
        one, two = Terminal(tmp_path, env, log), Terminal(tmp_path, env, log)
        server = 0
        try:
            for line in first[:-1]:
                status, _ = one.run(line, timeout=300)
                assert status == 0, f"{line!r} failed: {(tmp_path / 'stderr.log').read_text()[-3000:]}"
            assert one.run(f"{first[-1]} &", timeout=10)[0] == 0
            server = int(one.run("echo $!", timeout=10)[1])
            _wait_ready(port, time.monotonic() + 60)
            token, listed = "", None
            for line in second:
                if "<TOKEN>" in line:
                    assert token, "no API token printed before it is needed"
                    line = line.replace("<TOKEN>", token)
                status, out = two.run(line.replace("127.0.0.1:8000", f"127.0.0.1:{port}"),
                                      timeout=120)
                assert status == 0, f"{line!r} failed: {(tmp_path / 'stderr.log').read_text()[-3000:]}"
                token = token or next(iter(re.findall(r"\b[0-9a-f]{40}\b", out)), "")
                if line.startswith("curl") and "/v1/deals" in line:
                    listed = json.loads(out)
            assert listed is not None and listed["success"] is True
            assert listed["data"] and all(deal["title"] for deal in listed["data"])
            assert one.run("kill -INT %1 && wait %1", timeout=30)[0] == 0
            # the one database of the data directory, whichever folder the commands ran in
            assert (tmp_path / "data" / "dealbase" / "dealbase.db").is_file()
            assert "dealbase: database " + str(tmp_path / "data" / "dealbase" / "dealbase.db") \
                in (tmp_path / "stderr.log").read_text()
        finally:
            if server:  # (a failure midway leaves no server behind)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(server, signal.SIGTERM)
            one.close()
            two.close()


def _mentioned_paths(text: str) -> set[str]:
    links = {m for m in re.findall(r"\]\(([^)\s]+)\)", text)
             if not re.match(r"[a-z]+:|#", m)}
    ticked = {t for t in re.findall(r"`([^`\n]+)`", text)
              if re.fullmatch(r"[\w.\-]+(/[\w.\-<>]*)+|[\w\-]+\.(py|md|toml|ya?ml|json|ini|sh|txt)", t)
              and not re.fullmatch(r"[A-Z/]+", t)}  # (not GET/POST)
    return links | ticked


def _exists(path: str) -> bool:
    if "<" in path:  # ``domain/entities/<name>.py``: the folder it names
        path = path[:path.index("<")]
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines()]
    if path.split("/")[0] in ignored:
        return True  # made by the scripts (``.clients/…``), never in a checkout
    return any((root / path).exists() for root in
               (ROOT, ROOT / "src", ROOT / "src" / "dealbase", ROOT / "src" / "dealbase" / "api"))


def test_every_path_the_readme_mentions_exists() -> None:
    mentioned = _mentioned_paths(README)
    assert {"bench/README.md", "store/database.py"} <= mentioned  # (the finder finds)
    assert sorted(p for p in mentioned if not _exists(p)) == []
    assert not _exists("store/nonesuch.py")


def test_license_is_the_apache_license_declared() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"


def _top_imports(folder: Path) -> set[str]:
    names: set[str] = set()
    for file in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return names


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_declared_dependencies_are_the_imported_ones() -> None:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    shipped = {p.name for p in (ROOT / "src").iterdir() if p.is_dir() and not p.name.endswith("-info")}
    imported = _top_imports(ROOT / "src") - set(sys.stdlib_module_names) - shipped - {"__future__"}
    dists = packages_distributions()
    used: set[str] = set()
    for module in imported:
        assert module in dists, f"{module} is imported but installed by no distribution"
        used |= {d.lower().replace("_", "-") for d in dists[module]}
    assert sorted(m for m in imported if not {d.lower().replace("_", "-") for d in dists[m]}
                  & declared) == [], "imported but not declared"
    assert sorted(declared - used) == [], "declared but never imported"


@pytest.mark.parametrize("text, expected", [
    ("<!-- quickstart -->\n```sh\na\n# note\n\nb\n```\n", [["a", "b"]]),
    ("```sh\nnot marked\n```\n", []),
])
def test_quickstart_blocks_are_found(text: str, expected: list[list[str]]) -> None:
    assert quickstart_blocks(text) == expected
