"""The OpenAPI document, generated from the code: `flask --app service openapi write` (and `check`).

The committed `openapi.yaml` is the contract the mobile app, the dashboard and the checklist client build on;
a test and CI fail when it differs from what the code generates.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import click
import yaml
from flask import Flask, current_app
from flask.cli import AppGroup

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


def document(app: Flask) -> dict:
    """The OpenAPI 3.1 document of `app`'s routes, as plain JSON-able values."""
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return _plain(api.spec.to_dict())


def as_yaml(spec: dict) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120)


def _plain(value):
    # Range validators carry Decimal bounds (INR is compared as a decimal); the document wants numbers.
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


openapi_command = AppGroup("openapi", help="The OpenAPI document generated from the code.")


@openapi_command.command("write")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_PATH)
def write(path: Path) -> None:
    """Write the document (openapi.yaml by default)."""
    path.write_text(as_yaml(document(current_app)), encoding="utf-8")
    click.echo(f"wrote {path}")


@openapi_command.command("check")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=DEFAULT_PATH)
def check(path: Path) -> None:
    """Exit 1 when the committed document is not what the code generates."""
    if path.read_text(encoding="utf-8") != as_yaml(document(current_app)):
        click.echo(f"{path} is out of date: run `flask --app service openapi write`", err=True)
        sys.exit(1)
    click.echo(f"{path} is current")
