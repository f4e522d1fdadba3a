"""The service as benchmarked, plus one bare baseline route in the same stack.

`POST /bench/baseline-insert` goes through the same WSGI server, app, middleware and database pool as the
real routes, but only inserts one row: the cost of the service's own work is the difference.
Never deployed: gunicorn loads `bench.app:create_bench_app()` only in the benchmark.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint
from sqlalchemy import text

from service import create_app, db
from service.auth import public

baseline = Blueprint("bench_baseline", __name__)


@baseline.post("/bench/baseline-insert")
@public
def baseline_insert():
    session = db.session()
    session.execute(text("INSERT INTO bench_baseline (created_at) VALUES (:now)"),
                    {"now": datetime.now(timezone.utc)})
    session.commit()
    return {"ok": True}, 201


BASELINE_TABLE = "CREATE TABLE IF NOT EXISTS bench_baseline (id BIGSERIAL PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL)"


def create_bench_app():
    # The table is created by bench.run before the server starts: four workers creating it at once race in
    # PostgreSQL's catalog (IF NOT EXISTS does not serialize them).
    app = create_app()
    app.register_blueprint(baseline)
    return app
