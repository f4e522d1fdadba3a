"""Command-line tasks: `flask --app service db-upgrade | create-admin | seed-demo`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from service import clock, migrate


def init_app(app: Flask) -> None:
    app.cli.add_command(db_upgrade)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)


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
    """Create the first administrator account."""
    from service import db, identity

    session = db.session()
    identity.create_user(session, current_app.extensions["passwords"], email=email, password=password,
                         role="admin", full_name=full_name, npi=None, now=clock.now())
    session.commit()
    click.echo(f"admin {email} created")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Seed a small demo clinic (idempotent); prints the logins."""
    from service import db, demo

    created = demo.seed(db.session(), current_app.extensions["passwords"], clock.now())
    click.echo("demo clinic " + ("seeded" if created else "already present") + "; logins (password: "
               f"{demo.PASSWORD}):")
    for email, role in demo.LOGINS:
        click.echo(f"  {role:10} {email}")
