"""The door holds: adapters reach records only through the records service.

An adapter (each dialect; the CLI with its demo seeder) may import from dealbase only
the service package itself (not its modules), ``query.ast``, ``domain``, ``settings``,
the shared adapter helpers of ``api`` and its own package; never the store, the query
compiler, another adapter's package, nor an underscore name of another module. (The
CLI also starts the server: it may import the composition root, ``api.app``.) Read
from the source, so a new module is checked the day it is added.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import dealbase

ROOT = Path(dealbase.__file__).parent
# package (relative to dealbase) -> what it is
ADAPTERS = {"api/pipedrive": "dealbase.api.pipedrive", "api/pipeliner": "dealbase.api.pipeliner",
            "api/docs": "dealbase.api.docs", "cli": "dealbase.cli", "web": "dealbase.web"}
ALLOWED = ("dealbase.service", "dealbase.query.ast", "dealbase.domain", "dealbase.settings",
           "dealbase.api.body", "dealbase.api.router")
EXTRA = {"dealbase.cli": ("dealbase.api.app",),
         "dealbase.web": ("dealbase.api.limits",)}  # (sign-in throttled in the shared counters)


def _modules(adapter: str) -> Iterator[tuple[str, Path]]:
    path = ROOT / adapter
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    for file in files:
        parts = file.relative_to(ROOT.parent).with_suffix("").parts
        yield ".".join(p for p in parts if p != "__init__"), file


def _imports(module: str, file: Path) -> Iterator[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import of the file."""
    package = module if file.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(file.read_text(), str(file))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                yield base, alias.name, node.lineno


def _allowed(own: str, target: str) -> bool:
    if not target.startswith("dealbase"):
        return True  # the standard library and third-party packages
    if target == own or target.startswith(own + "."):
        return True
    if target in ("dealbase.service", *EXTRA.get(own, ())):
        return True  # the door itself (none of its modules), or a composition root
    return any(target == a or target.startswith(a + ".") for a in ALLOWED if a != "dealbase.service")


def violations(own: str, file: Path, module: str) -> list[str]:
    wrong = []
    for target, name, line in _imports(module, file):
        full = f"{target}.{name}" if name else target
        if target == "dealbase" and name in ("service", "settings"):
            continue  # ``from dealbase import service`` names the door too
        mine = target == own or target.startswith(own + ".")
        if not _allowed(own, target) or (target in ("dealbase", "dealbase.api") and not mine
                                         and name not in ("body", "router")):
            wrong.append(f"{file.name}:{line} imports {full}")
        elif target.startswith("dealbase") and not mine and name.startswith("_") \
                and not name.startswith("__"):
            wrong.append(f"{file.name}:{line} imports private {full}")
    return wrong


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_adapters_import_only_the_door(adapter: str) -> None:
    own = ADAPTERS[adapter]
    assert [w for module, file in _modules(adapter) for w in violations(own, file, module)] == []


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_adapters_touch_no_private_attribute_of_another_object(adapter: str) -> None:
    """``x._y`` only on ``self``/``cls`` (a class's own state), never on the service or
    another module's objects."""
    wrong = []
    for _, file in _modules(adapter):
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                wrong.append(f"{file.relative_to(ROOT)}:{node.lineno} uses .{node.attr}")
    assert wrong == []


def test_the_rule_catches_what_it_forbids(tmp_path: Path) -> None:
    """The checker itself: every kind of forbidden import is found, and the door is not."""
    bad = tmp_path / "bad.py"
    bad.write_text("from dealbase.store.database import Tx\nfrom dealbase.query.compile import ident\n"
                   "from dealbase.service.records import Records\nfrom dealbase.service import _x\n"
                   "from ..pipeliner.routes import Pipeliner\nfrom ..app import create_app\n"
                   "from dealbase.service import Service\nfrom dealbase.query.ast import Cond\n"
                   "from .render import success\n")
    wrong = violations("dealbase.api.pipedrive", bad, "dealbase.api.pipedrive.bad")
    assert [w.split(" ", 1)[1] for w in wrong] == [
        "imports dealbase.store.database.Tx", "imports dealbase.query.compile.ident",
        "imports dealbase.service.records.Records", "imports private dealbase.service._x",
        "imports dealbase.api.pipeliner.routes.Pipeliner", "imports dealbase.api.app.create_app"]


def test_what_each_adapter_imports_of_dealbase() -> None:
    """The list the README's layout section describes (a change here is a change there)."""
    seen: dict[str, set[str]] = {}
    for adapter, own in ADAPTERS.items():
        for module, file in _modules(adapter):
            for target, _, _ in _imports(module, file):
                if target.startswith("dealbase") and not (target == own
                                                          or target.startswith(own + ".")):
                    seen.setdefault(adapter, set()).add(
                        "dealbase.domain" if target.startswith("dealbase.domain") else target)
    assert seen == {
        "api/pipedrive": {"dealbase.service", "dealbase.query.ast", "dealbase.domain",
                          "dealbase.settings", "dealbase.api.body"},
        "api/pipeliner": {"dealbase.service", "dealbase.query.ast", "dealbase.domain",
                          "dealbase.settings", "dealbase.api.body", "dealbase.api.router"},
        "cli": {"dealbase.service", "dealbase.settings", "dealbase.query.ast", "dealbase.domain",
                "dealbase.api.app"},
        "web": {"dealbase.service", "dealbase.query.ast", "dealbase.domain", "dealbase.api.limits"},
    }
