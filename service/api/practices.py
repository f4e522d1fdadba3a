"""The caller's practice: its details, what claims still need of it, and its setup by the administrator."""

from __future__ import annotations

from flask import g

from service import clock, db, practices
from service.api import Blueprint
from service.policy import roles
from service.schemas.practices import PracticeChangeIn, PracticeOut

bp = Blueprint("practices", __name__, description="The practice: billing provider, calendar, reminders.")

STAFF = ("admin", "physician", "trainer", "biller")


@bp.get("/practice")
@roles(*STAFF)
@bp.response(200, PracticeOut)
def own_practice():
    """The caller's practice, and what an 837P file still needs of it."""
    return practices.seen(db.session(), g.user)


@bp.patch("/practice")
@roles("admin")
@bp.arguments(PracticeChangeIn)
@bp.response(200, PracticeOut)
def set_up_practice(changes):
    """Set the practice's details (billing provider, clearinghouse ids, charges), calendar and reminder time."""
    return practices.set_up(db.session(), g.user, changes, clock.now())
