"""Command-line tasks: `flask --app service db-upgrade | create-practice | create-admin | seed-demo |
generate-claims | openapi`."""

from __future__ import annotations

import functools

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError

from service import clock, migrate
from service.errors import Problem
from service.settings import current_settings


def init_app(app: Flask) -> None:
    app.cli.add_command(db_upgrade)
    app.cli.add_command(create_practice)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(generate_claims)
    from service.openapi import openapi_command

    app.cli.add_command(openapi_command, "openapi")


def uses_database(migrates: bool = True):
    """A command that reads or writes data: the schema is made current first (or refused, with
    INR_AUTO_MIGRATE=0), and a database that cannot be reached, a refused input or a conflict is one line on
    stderr and exit status 1, never a traceback."""

    def decorate(command):
        @functools.wraps(command)
        def wrapped(*args, **kwargs):
            try:
                if migrates:
                    migrate.ensure_current(current_app.extensions["db_engine"], current_settings().auto_migrate)
                return command(*args, **kwargs)
            except DBAPIError as exc:
                raise click.ClickException(_unreachable(exc)) from None
            except RuntimeError as exc:  # the schema is old and INR_AUTO_MIGRATE=0 forbids migrating it
                raise click.ClickException(str(exc)) from None
            except Problem as exc:
                raise click.ClickException(_one_line(exc.detail or exc.title, exc.errors)) from None
            except ValidationError as exc:
                raise click.ClickException(_one_line("invalid input", exc.messages)) from None

        return with_appcontext(wrapped)

    return decorate


def _unreachable(exc: DBAPIError) -> str:
    url = current_app.extensions["db_engine"].url.render_as_string(hide_password=True)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    if "does not exist" in reason:
        return f"The database at {url} does not exist: create it first (e.g. `createdb`). ({reason})"
    return f"Cannot reach the database at {url}: {reason}"


def _one_line(summary: str, errors) -> str:
    if isinstance(errors, dict):
        details = "; ".join(f"{field}: {' '.join(map(str, why)) if isinstance(why, list) else why}"
                            for field, why in errors.items())
        return f"{summary} ({details})" if details else summary
    return summary


@click.command("db-upgrade")
@uses_database(migrates=False)
def db_upgrade() -> None:
    """Apply any pending migration (even with INR_AUTO_MIGRATE=0: this is the command it asks for)."""
    engine = current_app.extensions["db_engine"]
    migrate.upgrade(engine)
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@click.command("create-practice")
@uses_database()
@click.option("--name", required=True, help="The practice's name, as on its claims.")
@click.option("--time-zone", required=True, help="Its canonical IANA zone, e.g. America/Chicago.")
def create_practice(name: str, time_zone: str) -> None:
    """Add a practice to this server: its people and patients reach nothing of another practice. Create its
    first administrator with `create-admin --practice <id>`; they fill in the rest (PATCH /practice)."""
    from service import db, practices
    from service.schemas.practices import PracticeChangeIn

    PracticeChangeIn().load({"name": name, "time_zone": time_zone})
    settings = current_settings()
    practice = practices.create_practice(db.session(), name, time_zone, clock.now(),
                                         reminder_weekday=settings.reminder_weekday,
                                         reminder_time=settings.reminder_time.strftime("%H:%M"))
    click.echo(f"practice {practice.public_id} created: {name}")


@click.command("create-admin")
@uses_database()
@click.option("--email", required=True)
@click.option("--name", "full_name", default="Administrator")
@click.option("--practice", "practice_id", type=click.UUID, default=None,
              help="The practice's id (from create-practice); the first practice when not given.")
@click.password_option(help="Asked for (twice) when not given.")
def create_admin(email: str, full_name: str, practice_id, password: str) -> None:
    """Create an administrator account; the password is asked for, and checked as the API checks it."""
    from sqlalchemy import select

    from models import Practice
    from service import db, identity
    from service.schemas.identity import UserIn

    data = UserIn().load({"email": email, "password": password, "role": "admin", "full_name": full_name})
    practice = None
    if practice_id is not None:
        practice = db.session().scalar(select(Practice).where(Practice.public_id == practice_id))
        if practice is None:
            raise click.ClickException(f"No practice with the id {practice_id}.")
    identity.create_user(db.session(), current_app.extensions["passwords"], email=data["email"],
                         password=data["password"], role="admin", full_name=data["full_name"], npi=None,
                         now=clock.now(), practice_id=practice.id if practice else None)
    click.echo(f"admin {data['email']} created")


@click.command("seed-demo")
@uses_database()
def seed_demo() -> None:
    """Seed a small demo clinic (idempotent); prints the logins."""
    from service import db, demo

    created = demo.seed(db.session(), current_app.extensions["passwords"], clock.now(), current_settings())
    click.echo("demo clinic " + ("seeded" if created else "already present") + "; logins (password: "
               f"{demo.PASSWORD}):")
    for email, role in demo.LOGINS:
        click.echo(f"  {role:10} {email}")
    click.echo("pages: /dashboard/ (physician), /checklist/ (patient, caregiver); log in at /login/")


@click.command("generate-claims")
@uses_database()
@click.option("--recheck-all", is_flag=True, help="Check every patient, not only those whose record changed.")
def generate_claims(recheck_all: bool) -> None:
    """Record the claim lines due now (what the scheduler's daily job does); prints the run's summary."""
    from service import claim_generation, db

    summary = claim_generation.generate_claims(db.session(), clock.now(), trigger="cli", recheck_all=recheck_all)
    click.echo(", ".join(f"{key} {summary[key] if key != 'errors' else len(summary[key])}"
                         for key in ("patients", "unchanged", "created", "conflicts", "skipped_count", "held_count",
                                     "errors")) + f" (run {summary['run_id']})")
    for skipped in summary["skipped"]:
        click.echo(f"  skipped: patient {skipped['patient_id']}: {skipped['key']}: {skipped['reason']}")
    for held in summary["held"]:
        click.echo(f"  held: {held['claim_key']}: {held['reason']}")
    for error in summary["errors"]:
        click.echo(f"  error: patient {error['patient_id']}: {error['error']}")
