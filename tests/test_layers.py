"""The shape every route keeps (issue 11): views parse, load through policy, make one domain call and dump; the
audit trail and the commit belong to the domain, the environment to the settings object."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules(*folders: str):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _imported_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_view_records_audit_events_or_commits():
    offenders = []
    for path in _modules("service/api"):
        tree = ast.parse(path.read_text())
        if {"service.audit", "service.audit.record"} & _imported_names(tree):
            offenders.append(f"{path.name} imports service.audit")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"commit", "rollback"}:
                offenders.append(f"{path.name}:{node.lineno} calls {node.attr}")
    assert offenders == []


def test_only_the_settings_module_reads_the_environment():
    readers = {path.relative_to(ROOT).as_posix() for path in _modules("service", "models", "schedules")
               if "os.environ" in path.read_text() or "getenv" in path.read_text()}
    assert readers == {"service/settings.py"}
