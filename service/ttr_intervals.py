"""The TTR intervals kept at write time (models.TtrInterval): the one place that writes them.

A patient's TTR is a sum over the intervals between consecutive valid INRs, and an interval's in-range time changes
only when a result, a correction or a target range arrives. Every path that changes a patient's valid INRs or ranges
calls `readings_changed` (a result, a correction, an import: only the intervals around what changed) or `rebuild`
(a range change), in its own transaction, so a panel sums stored pieces (service.summary) instead of interpolating a
year of results per patient. The table is derived: rewritten in place, unlike the records it is derived from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from sqlalchemy import bindparam, delete, func, insert, literal, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from models import InrResult, Patient, TargetRange, TtrInterval
from models.results import valid_inr_clause
from service.rules.ttr import RangePeriod, interval_pieces

_NEIGHBOUR = aliased(InrResult, name="ttr_neighbour")
_AT = InrResult.__table__.c.measured_at.type
_LOCKS = 16_023  # this module's advisory lock space (issue 16, migration 0023); the key within it is the patient's id


def readings_changed(session: Session, patient_id: int, since: datetime, until: datetime,
                     added: int | None = None, locked: bool = False) -> None:
    """Valid INRs of the patient measured within [since, until] came or went (a new result, a correction and the
    result it replaces): rewrite only the intervals from the last valid INR before `since` to the first after
    `until`. `added`: the id of the one new valid INR, when that is all that changed. `locked`: the caller took
    `writer_lock` in a statement of its own transaction already. The caller commits."""
    _refresh(session, patient_id, since, until, added, locked)


def writer_lock(session: Session, patient_id) -> object | None:
    """SQL taking the lock `readings_changed` takes (None on SQLite: one writer at a time there), for a caller to
    send in a statement it sends anyway, then pass locked=True: one round trip less. It must be a statement before
    the region's read, whose snapshot must see every result committed by the writer it waited for."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return func.pg_advisory_xact_lock(_LOCKS, patient_id)


def rebuild(session: Session, patient_id: int) -> None:
    """Rewrite all of the patient's intervals (a target range changed, or history was imported). The caller
    commits."""
    _refresh(session, patient_id, None, None)


def _region_and_ranges(region: bool):
    """One round trip (read after the lock, so a range set meanwhile is seen): the patient's valid INRs (`region`:
    from the last one before `since` to the first after `until`) and their ranges. Built once: every new result
    runs it."""
    # Typed as the column: a bare COALESCE argument would skip its conversion to UTC (SQLite).
    patient, since, until = bindparam("patient"), bindparam("since", type_=_AT), bindparam("until", type_=_AT)
    readings = select(literal(0).label("kind"), InrResult.measured_at.label("at"), InrResult.value.label("low"),
                      InrResult.value.label("high"), InrResult.id).where(InrResult.patient_id == patient,
                                                                         valid_inr_clause(InrResult))
    if region:
        before = (select(func.max(_NEIGHBOUR.measured_at))
                  .where(_NEIGHBOUR.patient_id == patient, _NEIGHBOUR.measured_at < since, valid_inr_clause(_NEIGHBOUR))
                  .scalar_subquery())
        after = (select(func.min(_NEIGHBOUR.measured_at))
                 .where(_NEIGHBOUR.patient_id == patient, _NEIGHBOUR.measured_at > until, valid_inr_clause(_NEIGHBOUR))
                 .scalar_subquery())
        readings = readings.where(InrResult.measured_at >= func.coalesce(before, since),
                                  InrResult.measured_at <= func.coalesce(after, until))
    ranges = select(literal(1), TargetRange.effective_from, TargetRange.low, TargetRange.high,
                    TargetRange.id).where(TargetRange.patient_id == patient)
    return union_all(readings, ranges).order_by("kind", "at", "id")


_REGION, _ALL = _region_and_ranges(True), _region_and_ranges(False)


def _refresh(session: Session, patient_id: int, since: datetime | None, until: datetime | None,
             added: int | None = None, locked: bool = False) -> None:
    lock = None if locked else writer_lock(session, patient_id)
    if lock is not None:
        # One writer of a patient's intervals at a time (until commit): two results arriving together, the second
        # sees the first once it commits. An advisory lock, not the patient row's: locking a row the transaction
        # already key-shares (its insert's foreign key) writes a multixact, slow under load.
        session.execute(select(lock))
    readings: list[tuple[datetime, Decimal]] = []
    ranges: list[RangePeriod] = []
    before_added: set[datetime] = set()  # the instants of the region's valid INRs before the one added
    for kind, at, low, high, row_id in session.execute(
            _ALL if since is None else _REGION, {"patient": patient_id, "since": since, "until": until}):
        if kind == 0:
            readings.append((at, Decimal(low)))
            if row_id != added:
                before_added.add(at)
        else:
            ranges.append(RangePeriod(at, Decimal(low), Decimal(high)))
    stale = delete(TtrInterval).where(TtrInterval.patient_id == patient_id)
    if since is not None:
        # The intervals wholly between the neighbours: those before and after them are untouched.
        low = readings[0][0] if readings and readings[0][0] < since else since
        high = readings[-1][0] if readings and readings[-1][0] > until else until
        stale = stale.where(TtrInterval.starts_at >= low, TtrInterval.ends_at <= high)
    if added is None or len(before_added) > 1:
        # (A new latest result had no interval in its region before it: nothing to delete, one round trip less.)
        session.execute(stale)
    rows = _rows(patient_id, readings, ranges)
    if rows:
        session.execute(insert(TtrInterval), rows)


def _rows(patient_id: int, readings: list[tuple[datetime, Decimal]], ranges: list[RangePeriod]) -> list[dict]:
    if len(readings) < 2 or not ranges:
        return []
    return [{"patient_id": patient_id, **piece._asdict()} for piece in interval_pieces(readings, ranges)]


def all_rows(conn: Connection, patients=None, page: int = 500) -> Iterator[list[dict]]:
    """The intervals of every patient (or of those `patients`, a SQL condition on Patient), derived from scratch, a
    page of patients at a time: the bench's load, one Python pass over the rows it inserted in SQL."""
    chosen = select(Patient.id).order_by(Patient.id)
    ids = list(conn.execute(chosen if patients is None else chosen.where(patients)).scalars())
    for first in range(0, len(ids), page):
        batch = ids[first:first + page]
        ranges: dict[int, list[RangePeriod]] = {}
        for patient_id, at, low, high in conn.execute(
                select(TargetRange.patient_id, TargetRange.effective_from, TargetRange.low, TargetRange.high)
                .where(TargetRange.patient_id.in_(batch))
                .order_by(TargetRange.patient_id, TargetRange.effective_from, TargetRange.id)):
            ranges.setdefault(patient_id, []).append(RangePeriod(at, Decimal(low), Decimal(high)))
        readings = conn.execute(
            select(InrResult.patient_id, InrResult.measured_at, InrResult.value)
            .where(InrResult.patient_id.in_(batch), valid_inr_clause(InrResult))
            .order_by(InrResult.patient_id, InrResult.measured_at, InrResult.id)).all()
        rows: list[dict] = []
        for patient_id, found in groupby(readings, key=itemgetter(0)):
            rows.extend(_rows(patient_id, [(at, Decimal(value)) for _, at, value in found], ranges.get(patient_id, [])))
        yield rows


def columns() -> Iterable[str]:
    return [column.name for column in TtrInterval.__table__.columns if column.name != "id"]
