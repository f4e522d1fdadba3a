"""`GET /health`: is the process up and can it reach its database?"""

from flask import Blueprint
from sqlalchemy import text

from service import db
from service.auth import public
from service.errors import Problem

bp = Blueprint("health", __name__)


@bp.get("/health")
@public
def health():
    try:
        db.session().execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not healthy", not a 500
        raise Problem(503, "Service Unavailable", "The database is unreachable.", kind="unavailable") from exc
    return {"status": "ok", "database": "ok"}
