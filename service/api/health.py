"""`GET /health`: is the process up and can it reach its database?"""

from marshmallow import fields, validate

from service import db
from service.api import Blueprint
from service.auth import public
from service.schemas.fields import OutSchema

bp = Blueprint("health", __name__, description="Liveness and the database.")


class HealthOut(OutSchema):
    status = fields.String(validate=validate.OneOf(["ok"]))
    database = fields.String(validate=validate.OneOf(["ok"]))


@bp.get("/health")
@public
@bp.response(200, HealthOut)
def health():
    """Up, and the database answers (503 when it does not)."""
    db.check_connection()
    return {"status": "ok", "database": "ok"}
