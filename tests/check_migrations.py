"""CI check: a fresh database migrates to head, and the models and the migrations describe the same schema.

Usage: python -m tests.check_migrations DATABASE_URL   (PostgreSQL: the schema `public` is recreated)
"""

from __future__ import annotations

import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from models import Base
from service import migrate


def main(url: str) -> int:
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    if not migrate.is_current(engine):
        print(f"{engine.dialect.name}: not at head after upgrade", file=sys.stderr)
        return 1
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    if differences:
        print(f"{engine.dialect.name}: models and migrations disagree:", file=sys.stderr)
        for difference in differences:
            print(f"  {difference}", file=sys.stderr)
        return 1
    print(f"{engine.dialect.name}: migrated to {migrate.current_revision(engine)}; models and migrations agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
