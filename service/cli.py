"""Command-line tasks: `flask --app service db-upgrade | create-admin | seed-demo | generate-claims | openapi`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from service import clock, migrate
from service.settings import current_settings


def init_app(app: Flask) -> None:
    app.cli.add_command(db_upgrade)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(generate_claims)
    from service.openapi import openapi_command

    app.cli.add_command(openapi_command, "openapi")


def _ensure_schema() -> None:
    """Commands that read or write data need the current schema (or a clear refusal)."""
    migrate.ensure_current(current_app.extensions["db_engine"], current_settings().auto_migrate)


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply any pending migration."""
    engine = current_app.extensions["db_engine"]
    migrate.upgrade(engine)
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@click.command("create-admin")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", "full_name", default="Administrator")
@click.password_option()
def create_admin(email: str, full_name: str, password: str) -> None:
    """Create the first administrator account (asks for the password)."""
    from service import db, identity

    _ensure_schema()
    identity.create_user(db.session(), current_app.extensions["passwords"], email=email, password=password,
                         role="admin", full_name=full_name, npi=None, now=clock.now())
    click.echo(f"admin {email} created")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Seed a small demo clinic (idempotent); prints the logins."""
    from service import db, demo

    _ensure_schema()
    created = demo.seed(db.session(), current_app.extensions["passwords"], clock.now(), current_settings())
    click.echo("demo clinic " + ("seeded" if created else "already present") + "; logins (password: "
               f"{demo.PASSWORD}):")
    for email, role in demo.LOGINS:
        click.echo(f"  {role:10} {email}")
    click.echo("pages: /dashboard/ (physician), /checklist/ (patient, caregiver); log in at /login/")


@click.command("generate-claims")
@with_appcontext
@click.option("--recheck-all", is_flag=True, help="Check every patient, not only those whose record changed.")
def generate_claims(recheck_all: bool) -> None:
    """Record the claim lines due now (what the scheduler's daily job does); prints the run's summary."""
    from service import claim_generation, db

    _ensure_schema()
    settings = claim_generation.BillingSettings.from_settings(current_settings())
    summary = claim_generation.generate_claims(db.session(), clock.now(), settings, recheck_all=recheck_all)
    click.echo(", ".join(f"{key} {summary[key] if key != 'errors' else len(summary[key])}"
                         for key in ("patients", "unchanged", "created", "conflicts", "skipped_count", "errors")))
    for error in summary["errors"]:
        click.echo(f"  error: patient {error['patient_id']}: {error['error']}")
