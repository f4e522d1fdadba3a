"""TTR kept per interval between consecutive valid INRs (a panel sums them), filled from the results on record

Revision ID: 0023
Revises: 0022
"""

from decimal import Decimal
from itertools import groupby
from operator import itemgetter

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime
from service.rules.ttr import RangePeriod, interval_pieces

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_PATIENTS_PER_BATCH = 500


def upgrade() -> None:
    table = op.create_table(
        "ttr_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("starts_value", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("ends_value", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("span_us", sa.BigInteger(), nullable=False),
        sa.Column("piece_from", UTCDateTime(timezone=True), nullable=False),
        sa.Column("piece_to", UTCDateTime(timezone=True), nullable=False),
        sa.Column("length_us", sa.BigInteger(), nullable=False),
        sa.Column("low", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("high", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("in_range_num", sa.BigInteger(), nullable=False),
        sa.Column("in_range_den", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_ttr_intervals_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ttr_intervals")),
    )
    op.create_index("ix_ttr_intervals_patient_id_piece_from", "ttr_intervals",
                    ["patient_id", "piece_from", "piece_to", "span_us", "in_range_den", "in_range_num", "length_us"])
    _backfill(op.get_bind(), table)


def _backfill(conn, table) -> None:
    """Every patient's intervals from their valid INRs (passed strip, no meter error, not corrected) and ranges, by
    the rule the app keeps them with, a batch of patients at a time."""
    ranges: dict[int, list[RangePeriod]] = {}
    for patient_id, at, low, high in conn.execute(sa.text(
            "SELECT patient_id, effective_from, low, high FROM target_ranges ORDER BY patient_id, effective_from, id")
            .columns(patient_id=sa.Integer(), effective_from=UTCDateTime(), low=sa.Numeric(3, 1),
                     high=sa.Numeric(3, 1))):
        ranges.setdefault(patient_id, []).append(RangePeriod(at, Decimal(low), Decimal(high)))
    patients = conn.execute(sa.text("SELECT id FROM patients ORDER BY id")).scalars().all()
    for first in range(0, len(patients), _PATIENTS_PER_BATCH):
        batch = patients[first:first + _PATIENTS_PER_BATCH]
        readings = conn.execute(sa.text(
            "SELECT r.patient_id, r.measured_at, r.value FROM inr_results r WHERE r.patient_id BETWEEN :first AND "
            ":last AND r.qc_passed AND r.meter_error_code IS NULL AND NOT EXISTS (SELECT 1 FROM inr_results c "
            "WHERE c.patient_id = r.patient_id AND c.supersedes_id = r.id) ORDER BY r.patient_id, r.measured_at, r.id")
            .columns(patient_id=sa.Integer(), measured_at=UTCDateTime(), value=sa.Numeric(3, 1)),
            {"first": batch[0], "last": batch[-1]})
        rows = []
        for patient_id, found in groupby(readings, key=itemgetter(0)):
            points = [(at, Decimal(value)) for _, at, value in found]
            if len(points) > 1 and ranges.get(patient_id):
                rows.extend({"patient_id": patient_id, **piece._asdict()}
                            for piece in interval_pieces(points, ranges[patient_id]))
        if rows:
            conn.execute(table.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_ttr_intervals_patient_id_piece_from", table_name="ttr_intervals")
    op.drop_table("ttr_intervals")
