"""Bench data loaded in set-based SQL (PostgreSQL only): a clinic of N patients with a year of weekly results.

Every patient is cleared for home testing a year and a half ago, on Medicare, in one of four US zones, with a
target range 2.0-3.0, a training event and a review every four weeks (so claim generation has G0249, G0250 and
93792 work). One patient in 10 missed last week's test, one in 50 the two weeks before now (reminders, physician
alerts). A physician has 1,000 patients; the latest out-of-range result of each patient has an open alert.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

PATIENTS_PER_PHYSICIAN = 1000
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
NPI = "1234567893"  # a well-formed NPI (Luhn check digit) for the first physician; billing copies it onto lines


def physician_npis(count: int) -> list[str]:
    """`count` distinct valid NPIs, NPI first: one active account holds an NPI (migration 0009)."""
    from service.rules.npi import npi_check_digit

    firsts = [NPI[:9]] + [f"{first:09d}" for first in range(200000001, 200000000 + count)]
    return [first + str(npi_check_digit(first)) for first in firsts]


@dataclass
class Seeded:
    patients: int
    physician_tokens: dict[str, str] = field(default_factory=dict)  # physician public id -> bearer token
    ingest: list[tuple[str, str]] = field(default_factory=list)  # (patient public id, that patient's token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def seed(conn: Connection, patients: int, now: datetime, weeks: int = 52, ingest_patients: int = 0) -> Seeded:
    """Load the clinic; `ingest_patients` of them get their own login and token (for the ingest benchmark)."""
    physicians = -(-patients // PATIENTS_PER_PHYSICIAN)
    params = {"n": patients, "phys": physicians, "now": now, "weeks": weeks, "npis": physician_npis(physicians),
              "per": PATIENTS_PER_PHYSICIAN, "zones": list(ZONES)}
    run = lambda sql, **extra: conn.execute(text(sql), {**params, **extra})  # noqa: E731

    # Everyone belongs to the practice every migrated database starts with (migration 0012).
    params["practice"] = conn.execute(text("SELECT min(id) FROM practices")).scalar_one()
    run("""INSERT INTO users (public_id, email, full_name, role, password_hash, active, npi, practice_id, created_at)
           SELECT gen_random_uuid(), 'physician' || g || '@bench.test', 'Dr Bench ' || g, 'physician',
                  'not-a-login', true, (CAST(:npis AS text[]))[g], :practice, :now
           FROM generate_series(1, :phys) g""")
    run("""INSERT INTO users (public_id, email, full_name, role, password_hash, active, practice_id, created_at)
           SELECT gen_random_uuid(), 'patient' || g || '@bench.test', 'Patient ' || g, 'patient', 'not-a-login',
                  true, :practice, :now FROM generate_series(1, :ingest) g""", ingest=ingest_patients)
    run("""INSERT INTO patients (public_id, full_name, date_of_birth, time_zone, physician_id, payer_code,
                                 practice_id, warfarin_start_date, user_id, created_at, updated_at)
           SELECT gen_random_uuid(), 'Patient ' || lpad(g::text, 6, '0'), date '1950-01-01' + (g % 7000),
                  (CAST(:zones AS text[]))[1 + g % 4],
                  (SELECT id FROM users WHERE email = 'physician' || (1 + (g - 1) / :per) || '@bench.test'),
                  'medicare', :practice, date '2020-01-01',
                  (SELECT id FROM users WHERE email = 'patient' || g || '@bench.test'), :now - interval '600 days',
                  :now
           FROM generate_series(1, :n) g""")
    # The physician's order for home testing, before the training (a 93792 needs one: issue 13).
    run("""INSERT INTO home_testing_orders (public_id, patient_id, physician_id, ordered_on, created_at)
           SELECT gen_random_uuid(), id, physician_id, CAST(:now AS date) - 560, :now - interval '560 days'
           FROM patients""")
    run("""INSERT INTO target_ranges (patient_id, low, high, effective_from, set_by_id, reason, created_at)
           SELECT id, 2.0, 3.0, :now - interval '600 days', physician_id, 'bench', :now FROM patients""")
    run("""INSERT INTO indication_sets (patient_id, codes, code_list_version, effective_from, set_by_id, reason,
                                        created_at)
           SELECT id, '["I48.91"]', 'bench', :now - interval '600 days', physician_id, 'bench', :now FROM patients""")
    run("""INSERT INTO clearance_decisions (public_id, patient_id, sequence, status, effective_on, decided_by_id,
                                            reason, evidence, created_at)
           SELECT gen_random_uuid(), id, 1, 'cleared', CAST(:now AS date) - 550, physician_id, 'bench', '{}', :now
           FROM patients""")
    run("""INSERT INTO billable_events (public_id, event_key, patient_id, kind, code, service_date, occurred_at,
                                        rendering_provider_id, source_type, source_id, result_ids)
           SELECT gen_random_uuid(), 'training:' || public_id, id, 'training', '93792', CAST(:now AS date) - 551,
                  :now - interval '551 days', physician_id, 'training_session', gen_random_uuid()::text, '[]'
           FROM patients""")
    # Weekly at 10:00 local on the weekday of `now`, w weeks back: one result per local billing week.
    # Week 1 is missed by one patient in 10; weeks 1 and 2 by one in 50. Values spread over 1.4-4.4 (some alerts).
    run("""INSERT INTO inr_results (public_id, patient_id, client_id, value, measured_at, measured_utc_offset_minutes,
                                    qc_passed, tested_by, symptoms, source, entered_by_id, received_at)
           SELECT gen_random_uuid(), p.id, 'seed-' || w, round(CAST(1.4 + 3.0 * random() AS numeric), 1),
                  (CAST(CAST(:now AS date) - 7 * w AS timestamp) + interval '10 hours') AT TIME ZONE p.time_zone,
                  -300, true, 'patient', '[]', 'app', p.physician_id,
                  (CAST(CAST(:now AS date) - 7 * w AS timestamp) + interval '11 hours') AT TIME ZONE p.time_zone
           FROM patients p CROSS JOIN generate_series(1, :weeks) w
           WHERE NOT (w = 1 AND p.id % 10 = 0) AND NOT (w <= 2 AND p.id % 50 = 0)""")
    _ttr_intervals(conn)
    # A review the day after every fourth result (weeks 52-49, 48-45, ...): the physician interpreted those four.
    run("""INSERT INTO billable_events (public_id, event_key, patient_id, kind, code, service_date, occurred_at,
                                        rendering_provider_id, source_type, source_id, result_ids)
           SELECT gen_random_uuid(), 'review:' || gen_random_uuid(), r.patient_id, 'result_review', 'G0250',
                  CAST(max(r.received_at) AS date) + 1, max(r.received_at) + interval '1 day', min(r.entered_by_id),
                  'review', gen_random_uuid()::text, json_agg(CAST(r.public_id AS text) ORDER BY r.measured_at)
           FROM inr_results r
           WHERE CAST(substr(r.client_id, 6) AS int) > 4
           GROUP BY r.patient_id, (:weeks - CAST(substr(r.client_id, 6) AS int)) / 4""")
    run("""INSERT INTO alerts (public_id, kind, alert_key, result_id, patient_id, physician_id, severity, level,
                               opened_at, status, escalation_level)
           SELECT gen_random_uuid(), 'result', 'result:' || CAST(r.public_id AS text), r.id, r.patient_id,
                  p.physician_id,
                  CASE WHEN r.value < 1.5 THEN 'critical' ELSE 'out_of_range' END,
                  CASE WHEN r.value < 1.5 THEN 'critical_low' WHEN r.value < 2.0 THEN 'low' ELSE 'high' END,
                  r.received_at, 'open', 0
           FROM (SELECT DISTINCT ON (patient_id) * FROM inr_results ORDER BY patient_id, measured_at DESC) r
           JOIN patients p ON p.id = r.patient_id
           WHERE r.value < 2.0 OR r.value > 3.0""")
    seeded = Seeded(patients)
    for (public_id, user_id) in run("SELECT public_id, id FROM users WHERE role = 'physician' ORDER BY id"):
        seeded.physician_tokens[str(public_id)] = _token(conn, user_id, now)
    for (public_id, user_id) in run("""SELECT p.public_id, p.user_id FROM patients p WHERE p.user_id IS NOT NULL
                                       ORDER BY p.id"""):
        seeded.ingest.append((str(public_id), _token(conn, user_id, now)))
    return seeded


def a_day_of_new_results(conn: Connection, day: datetime) -> int:
    """One day's new work, as the mobile app would bring it: one patient in 7 tests at 10:00 local on `day`."""
    inserted = conn.execute(text("""
        INSERT INTO inr_results (public_id, patient_id, client_id, value, measured_at, measured_utc_offset_minutes,
                                 qc_passed, tested_by, symptoms, source, entered_by_id, received_at)
        SELECT gen_random_uuid(), p.id, 'day-' || CAST(CAST(:day AS date) AS text), 2.5,
               (CAST(CAST(:day AS date) AS timestamp) + interval '10 hours') AT TIME ZONE p.time_zone, -300, true,
               'patient', '[]', 'app', p.physician_id,
               (CAST(CAST(:day AS date) AS timestamp) + interval '11 hours') AT TIME ZONE p.time_zone
        FROM patients p WHERE p.id % 7 = 3"""), {"day": day})
    _ttr_intervals(conn, "id % 7 = 3")
    return inserted.rowcount


def _ttr_intervals(conn: Connection, patients: str | None = None) -> None:
    """The TTR intervals of the results loaded above (or of `patients`, rewritten), as the app keeps them: one Python
    pass over the loaded rows by the same derivation (service.ttr_intervals), a page of patients COPied at a time."""
    from service import ttr_intervals

    names = list(ttr_intervals.columns())
    if patients is not None:
        conn.execute(text(f"DELETE FROM ttr_intervals WHERE patient_id IN (SELECT id FROM patients WHERE {patients})"))
    cursor = conn.connection.driver_connection.cursor()
    for rows in ttr_intervals.all_rows(conn, None if patients is None else text(patients)):
        with cursor.copy(f"COPY ttr_intervals ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])


def _token(conn: Connection, user_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    conn.execute(text("""INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at)
                         VALUES (:h, :u, :now, :now + interval '30 days')"""),
                 {"h": _digest(token), "u": user_id, "now": now})
    return token
