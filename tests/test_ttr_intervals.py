"""The TTR intervals kept at write time (service.ttr_intervals) and the panel that sums them: always what deriving
them afresh gives, and the panel's figures the rule's own, to the last bit, on both databases."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import InrResult, Patient, TtrInterval
from service import db, migrate, patients, results, summary
from service.rules.ttr import IntervalPiece, interval_pieces, ttr_of_readings
from tests import factories
from tests.conftest import NOW
from tests.rules.ttr_reference import reference_ttr


def _valid_readings(session, patient) -> list[tuple[datetime, Decimal]]:
    everything = list(session.scalars(select(InrResult).where(InrResult.patient_id == patient.id)
                                      .order_by(InrResult.measured_at, InrResult.id)))
    return [(p.measured_at, p.value) for p in summary.ttr_points(everything)]


def assert_kept_intervals_are_fresh(app) -> int:
    """Every patient's stored pieces are exactly those derived from scratch from their valid INRs and ranges."""
    pieces = 0
    with app.app_context():
        session = db.session()
        for patient in session.scalars(select(Patient)):
            readings = _valid_readings(session, patient)
            expected = interval_pieces(readings, summary.target_range_periods(patient)) if len(readings) > 1 else []
            stored = [IntervalPiece(*row) for row in session.execute(
                select(*(getattr(TtrInterval, name) for name in IntervalPiece._fields))
                .where(TtrInterval.patient_id == patient.id))]
            key = lambda piece: piece.piece_from  # noqa: E731
            assert sorted(stored, key=key) == sorted(expected, key=key), patient.full_name
            pieces += len(stored)
    return pieces


def _random_history(app, clinic, rng: random.Random, name: str) -> None:
    """Results reported out of order (some at one instant, failed strips, meter errors), corrections of earlier
    ones (at their own time or another), range changes from then on and ranges of before enrolment, interleaved."""
    physician, settings = clinic.users["physician"], app.extensions["settings"]
    patient = factories.make_patient(app, clinic.users["admin"], physician, NOW - timedelta(days=300), full_name=name)
    moments = [rng.uniform(0.5, 380) for _ in range(rng.randint(8, 30))]
    if rng.random() < 0.4:
        moments.insert(rng.randrange(len(moments)), rng.choice(moments))  # two results at one instant
    correctable: list[int] = []
    for step, days_ago in enumerate(moments):
        with app.app_context():
            session = db.session()
            person, actor = session.get(Patient, patient.id), session.merge(physician)
            roll = rng.random()
            if roll < 0.12:
                low = Decimal(rng.choice(("1.5", "2.0", "2.5")))
                past = rng.random() < 0.3
                patients.set_target_range(session, person, actor, low, low + Decimal(rng.choice(("0.5", "1.0"))),
                                          "changed", NOW - timedelta(days=rng.uniform(0, 300)),
                                          effective_from=NOW - timedelta(days=rng.uniform(301, 400)) if past else None)
                continue
            data = {"client_id": f"{name}-{step}", "value": Decimal(rng.choice(("0.8", "8.0", f"{rng.randint(10, 50) / 10:.1f}"))),
                    "measured_at": NOW - timedelta(days=days_ago), "qc_passed": rng.random() > 0.08}
            if rng.random() < 0.06:
                data["meter_error_code"] = "E-5"
            if roll < 0.3 and correctable:
                original = session.get(InrResult, correctable.pop(rng.randrange(len(correctable))))
                if rng.random() < 0.5:
                    data["measured_at"] = original.measured_at
                view, _ = results.correct_result(session, original, actor, {**data, "reason": "mistyped"}, settings,
                                                 NOW)
                correctable.append(view.result.id)
            else:
                correctable.append(results.record_result(session, person, actor, data, settings, NOW)[0].id)


@pytest.mark.parametrize("seed", range(8))
def test_the_panel_from_kept_intervals_is_the_rules_ttr_over_random_histories(app, client, clinic, seed):
    rng = random.Random(seed)
    for n in range(3):
        _random_history(app, clinic, rng, f"Random {seed}-{n}")
    assert assert_kept_intervals_are_fresh(app) > 0
    windows = [{}, {"window_days": 365}]
    for _ in range(4):
        first = NOW.date() - timedelta(days=rng.randint(1, 400))
        windows.append({"from": first.isoformat(),
                        "to": min(NOW.date(), first + timedelta(days=rng.randint(0, 200))).isoformat()})
    max_gap = app.extensions["settings"].ttr_max_gap_days
    shown = 0
    for query in windows:
        for path in ("panel-ttr", "panel"):
            response = client.get(f"/physicians/{clinic.id('physician')}/{path}", query_string=query,
                                  headers=clinic.headers["physician"])
            assert response.status_code == 200, response.json
            panel = response.json
            start, end = (datetime.fromisoformat(panel[k]) for k in ("window_start", "window_end"))
            figures = {row["patient"]["full_name"]: row["ttr"] for row in panel["patients"]}
            with app.app_context():
                session = db.session()
                for patient in session.scalars(select(Patient).where(
                        Patient.physician_id == clinic.users["physician"].id)):
                    readings = _valid_readings(session, patient)
                    ranges = summary.target_range_periods(patient)
                    expected = ttr_of_readings(readings, ranges, start, end, max_gap)
                    assert expected == reference_ttr(summary.ttr_points(list(session.scalars(select(InrResult).where(
                        InrResult.patient_id == patient.id)))), ranges, start, end, max_gap)
                    assert figures[patient.full_name] == {"percent": expected.percent,
                                                          "days_in_range": expected.days_in_range,
                                                          "days_total": expected.days_total}, (patient.full_name, query)
                    shown += expected.days_total > 0
    assert shown >= 6  # not vacuous: windows with interpolated time


def test_imported_history_fills_the_intervals_it_falls_in(app, client, clinic):
    from tests.test_existing_patients import bring_in, import_csv

    bring_in(client, clinic)
    factories.record_result(app, clinic.patient, clinic.users["physician"], NOW, client_id="today",
                            value=Decimal("2.6"), measured_at=NOW - timedelta(days=2))
    assert import_csv(client, clinic, "acme-1,2026-06-06T23:30:00-07:00,2.2,,,\n",
                      "acme-2,2026-06-20T09:00:00-04:00,3.4,,,\n").status_code == 201
    assert import_csv(client, clinic, "acme-3,2026-06-13T09:00:00-04:00,1.7,,,\n",
                      "acme-4,2026-06-27T09:00:00-04:00,2.4,,,false\n", file_name="acme-2.csv").status_code == 201
    assert assert_kept_intervals_are_fresh(app) >= 3  # between the imported valid INRs, and on to later ones


def test_migration_0023_fills_the_intervals_of_the_results_on_record(app, clinic):
    rng = random.Random(23)
    for n in range(3):
        _random_history(app, clinic, rng, f"On Record {n}")
    engine = app.extensions["db_engine"]
    engine.dispose()
    migrate.downgrade(engine, "0022")
    migrate.upgrade(engine)  # the table comes back empty and the backfill derives every patient's pieces
    assert assert_kept_intervals_are_fresh(app) > 0


def test_results_arriving_together_leave_the_intervals_of_all_of_them(app, clinic):
    """Offline uploads of one patient sent at once, in and out of order: each writer of the patient's intervals waits
    for the one before it, so none is computed without the others' results."""
    import threading

    from tests.factories import result_body

    days = [20, 6, 13, 2, 9, 16]
    barrier = threading.Barrier(len(days))
    statuses = []

    def send(days_ago):
        local = app.test_client()
        barrier.wait()
        statuses.append(local.post(f"/patients/{clinic.patient_id}/results", headers=clinic.headers["physician"],
                                   json=result_body(client_id=f"together-{days_ago}", value=1.5 + days_ago / 10,
                                                    measured_at=(NOW - timedelta(days=days_ago)).isoformat()))
                        .status_code)

    threads = [threading.Thread(target=send, args=(days_ago,)) for days_ago in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * len(days)
    assert assert_kept_intervals_are_fresh(app) == len(days) - 1
