"""Scheduler jobs with fixed clocks across week borders and DST, signed webhook delivery, and two schedulers at once."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from models import Alert, AuditEvent, ClaimLine, ClearanceDecision, DeliveryAttempt, JobRun, OutboxMessage
from schedules.delivery import PROBE_AFTER, deliver_outbox
from schedules.jobs import Job, build_scheduler, day, job_table, minute, run_job
from schedules.missed import detect_missed_tests
from schedules.no_valid_result import detect_no_valid_results
from schedules.reassessments import check_reassessments
from schedules.reminders import send_weekly_reminders
from schedules.runs import DEFAULT_LEASE, OWNER, claim_run
from service import care_episode, claim_generation, db
from tests import factories
from tests.conftest import NOW, POSTGRES_URL

NEW_YORK = ZoneInfo("America/New_York")
SECRET = "test-webhook-secret"
ROOT = Path(__file__).resolve().parent.parent


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def messages(app, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(db.session().scalars(query))


def run(app, job, now, **kwargs):
    with app.app_context():
        return job(db.session(), now, **kwargs)


# --- weekly reminder ------------------------------------------------------------------------------------------


def test_weekly_reminder_goes_out_at_9_local_on_sunday_across_the_dst_change(app, clinic):
    factories.clear_for_home_testing(app, clinic.patient, date(2026, 2, 1), clinic.users["physician"], NOW)
    # Sunday 2026-03-01, EST (UTC-5): 09:00 local is 14:00 UTC.
    assert run(app, send_weekly_reminders, utc(2026, 3, 1, 13, 59))["queued"] == 0
    assert run(app, send_weekly_reminders, utc(2026, 3, 1, 14, 0))["queued"] == 1
    # Sunday 2026-03-08, clocks sprang forward at 02:00: 09:00 EDT is 13:00 UTC, an hour earlier in UTC.
    assert run(app, send_weekly_reminders, utc(2026, 3, 8, 12, 59))["queued"] == 0
    assert run(app, send_weekly_reminders, utc(2026, 3, 8, 13, 0))["queued"] == 1
    # Later in the same week (Saturday 23:59 local, already Sunday in UTC): nothing more.
    assert run(app, send_weekly_reminders, utc(2026, 3, 15, 3, 59))["queued"] == 0
    keys = [m.dedupe_key for m in messages(app)]
    pid = clinic.patient_id
    assert keys == [f"reminder.weekly:{pid}:2026-03-01", f"reminder.weekly:{pid}:2026-03-08"]
    first = messages(app)[0]
    assert first.recipient_user_id == clinic.users["patient"].id
    assert first.payload == {"patient_id": pid, "week": "2026-03-01", "due_at": "2026-03-01T09:00:00-05:00"}


def test_weekly_reminder_day_and_time_are_configurable_and_follow_each_patients_zone(app, clinic):
    physician = clinic.users["physician"]
    pacific = factories.make_patient(app, clinic.users["admin"], physician, NOW, full_name="Paz Pacific",
                                     time_zone="America/Los_Angeles")
    for patient in (clinic.patient, pacific):
        factories.clear_for_home_testing(app, patient, date(2026, 11, 1), physician, NOW)
    # Monday 2026-11-23 18:30 UTC: 13:30 in New York, 10:30 in Los Angeles; reminder Mondays at 12:00 local.
    assert run(app, send_weekly_reminders, utc(2026, 11, 23, 18, 30), weekday="monday",
               at=datetime(2026, 1, 1, 12).time())["queued"] == 1
    assert [m.patient_id for m in messages(app)] == [clinic.patient.id]
    run(app, send_weekly_reminders, utc(2026, 11, 23, 20, 0), weekday="monday", at=datetime(2026, 1, 1, 12).time())
    assert sorted(m.patient_id for m in messages(app)) == sorted([clinic.patient.id, pacific.id])


def test_patients_not_cleared_or_past_their_end_of_care_get_no_reminder(app, clinic):
    physician = clinic.users["physician"]
    factories.clear_for_home_testing(app, clinic.patient, date(2026, 11, 1), physician, NOW)
    with app.app_context():
        session = db.session()
        care_episode.discharge_patient(session, session.merge(clinic.patient), physician, "discharged",
                                       date(2026, 11, 20), None, NOW)
    assert run(app, send_weekly_reminders, utc(2026, 11, 22, 15))["queued"] == 0  # other_patient never cleared
    assert messages(app) == []


# --- missed tests ---------------------------------------------------------------------------------------------


def missed_setup(app, clinic):
    """Cleared from Sunday 2026-10-04: tests in the weeks of Oct 4 and Oct 25 (the latter on Saturday Oct 31 at
    23:30 EDT, already Nov 1 in UTC and the night DST ends); weeks Oct 11 and Oct 18 missed; a failed strip is
    the only result of the week of Nov 1."""
    patient = clinic.patient
    factories.clear_for_home_testing(app, patient, date(2026, 10, 4), clinic.users["physician"], NOW)
    factories.make_result(app, patient, datetime(2026, 10, 6, 8, tzinfo=NEW_YORK))
    factories.make_result(app, patient, datetime(2026, 10, 31, 23, 30, tzinfo=NEW_YORK))
    factories.make_result(app, patient, datetime(2026, 11, 3, 8, tzinfo=NEW_YORK), qc_passed=False)


def test_a_week_with_no_counted_test_reminds_the_patient_once_after_it_ends_locally(app, clinic):
    missed_setup(app, clinic)
    pid = clinic.patient_id
    # Saturday Oct 17 23:30 EDT (Sunday in UTC): the week of Oct 11 is not over for the patient yet.
    assert run(app, detect_missed_tests, utc(2026, 10, 18, 3, 30)) == {"reminded": 0, "alerted": 0, "conflicts": 0}
    assert run(app, detect_missed_tests, utc(2026, 10, 18, 4, 30)) == {"reminded": 1, "alerted": 0, "conflicts": 0}
    assert run(app, detect_missed_tests, utc(2026, 10, 18, 5, 30))["reminded"] == 0
    [reminder] = messages(app)
    assert (reminder.dedupe_key, reminder.kind) == (f"missed.week:{pid}:2026-10-11", "reminder.missed_test")
    assert reminder.recipient_user_id == clinic.users["patient"].id


def test_two_missed_weeks_in_a_row_alert_the_physician(app, clinic):
    missed_setup(app, clinic)
    pid = clinic.patient_id
    run(app, detect_missed_tests, utc(2026, 10, 18, 4, 30))
    assert run(app, detect_missed_tests, utc(2026, 10, 25, 5, 0)) == {"reminded": 1, "alerted": 1, "conflicts": 0}
    [alert] = messages(app, "alert.missed_tests")
    assert alert.dedupe_key == f"missed.two_weeks:{pid}:2026-10-18"
    assert alert.recipient_user_id == clinic.users["physician"].id
    with app.app_context():
        [opened] = db.session().scalars(select(Alert).where(Alert.kind == "missed_tests"))
        assert (opened.alert_key, opened.severity, opened.reason) == (f"missed_tests:{pid}:2026-10-11", "routine",
                                                                      "two_missed_weeks")
        assert opened.detail == {"weeks": ["2026-10-11", "2026-10-18"]}
    assert alert.payload == {"patient_id": pid, "weeks": ["2026-10-11", "2026-10-18"],
                             "alert_id": str(opened.public_id), "gap_since": "2026-10-11"}
    with app.app_context():
        notes = list(db.session().scalars(select(AuditEvent).where(
            AuditEvent.action == "patient.missed_tests.notify")))
    assert [(n.actor_role, n.patient_id) for n in notes] == [("system", clinic.patient.public_id)]


def test_missed_weeks_are_judged_in_local_weeks_across_the_end_of_dst(app, clinic):
    missed_setup(app, clinic)
    pid = clinic.patient_id
    # Sunday Nov 1 01:00 EDT: the week of Oct 25 ended and its Saturday-night test counts there.
    assert run(app, detect_missed_tests, utc(2026, 11, 1, 5, 0))["reminded"] == 0
    # Sunday Nov 8 00:30 EST: the week of Nov 1 had only a failed strip: missed, but the week before was not.
    assert run(app, detect_missed_tests, utc(2026, 11, 8, 5, 30)) == {"reminded": 1, "alerted": 0, "conflicts": 0}
    assert [m.dedupe_key for m in messages(app)] == [f"missed.week:{pid}:2026-11-01"]


def test_a_week_not_fully_cleared_is_never_missed(app, clinic):
    factories.clear_for_home_testing(app, clinic.patient, date(2026, 11, 18), clinic.users["physician"], NOW)
    assert run(app, detect_missed_tests, utc(2026, 11, 22, 6, 0))["reminded"] == 0
    assert messages(app) == []


# --- the job wrapper and the process --------------------------------------------------------------------------


def test_a_claimed_period_runs_once_and_records_its_outcome(app, clinic):
    calls = []
    job = Job("test.job", lambda session, now: calls.append(now) or {"done": len(calls)}, minute, "interval",
              {"minutes": 1})
    factory = app.extensions["db_sessionmaker"]
    first = run_job(factory, job, NOW)
    assert (first.status, first.outcome, first.took_over) == ("ran", {"done": 1}, False)
    again = run_job(factory, job, NOW + timedelta(seconds=30))
    assert (again.status, again.outcome, again.by) == ("done_elsewhere", None, OWNER)
    assert run_job(factory, job, NOW + timedelta(minutes=1)).outcome == {"done": 2}
    with app.app_context():
        runs = list(db.session().scalars(select(JobRun).order_by(JobRun.id)))
    assert [(r.period, r.outcome) for r in runs] == [("2026-11-23T15:00", {"done": 1}), ("2026-11-23T15:01", {"done": 2})]
    assert [(r.attempt, r.lease_expires_at) for r in runs] == [(1, NOW + DEFAULT_LEASE),
                                                                (1, NOW + timedelta(minutes=1) + DEFAULT_LEASE)]


def test_a_failing_job_records_its_error_and_does_not_raise(app):
    def broken(session, now):
        raise RuntimeError("boom")

    report = run_job(app.extensions["db_sessionmaker"], Job("test.broken", broken, minute, "interval"), NOW)
    assert (report.status, report.outcome) == ("failed", {"error": "RuntimeError: boom"})


def abandoned_claim(app, job: str, period: str, lease_expires_at: datetime, attempt: int = 1) -> None:
    """The row a scheduler leaves when it is killed in the middle of a run: claimed, never finished."""
    with app.app_context():
        session = db.session()
        session.add(JobRun(job=job, period=period, claimed_at=NOW - timedelta(minutes=20), claimed_by="dead-host:4242",
                           lease_expires_at=lease_expires_at, attempt=attempt))
        session.commit()


def claims_of(app, job: str) -> list[JobRun]:
    with app.app_context():
        return list(db.session().scalars(select(JobRun).where(JobRun.job == job)))


def counting_job(calls: list, job_id: str = "claims.generate") -> Job:
    return Job(job_id, lambda session, now: calls.append(now) or {"checked": len(calls)}, day, "cron",
               lease=timedelta(minutes=10))


def test_an_unfinished_claim_whose_lease_ran_out_is_taken_over_and_the_job_runs(app):
    abandoned_claim(app, "claims.generate", "2026-11-23", lease_expires_at=NOW - timedelta(seconds=1))
    calls: list = []
    report = run_job(app.extensions["db_sessionmaker"], counting_job(calls), NOW)
    assert (report.status, report.took_over, report.outcome) == ("ran", True, {"checked": 1})
    [claim] = claims_of(app, "claims.generate")
    assert (claim.attempt, claim.claimed_by, claim.claimed_at) == (2, OWNER, NOW)
    assert claim.finished_at is not None and claim.outcome == {"checked": 1}
    assert json.loads(report.line()) == {"job": "claims.generate", "period": "2026-11-23", "status": "ran",
                                         "outcome": {"checked": 1}, "took_over": True}


def test_an_unfinished_claim_under_a_live_lease_is_left_to_its_scheduler(app):
    abandoned_claim(app, "claims.generate", "2026-11-23", lease_expires_at=NOW + timedelta(minutes=3))
    calls: list = []
    report = run_job(app.extensions["db_sessionmaker"], counting_job(calls), NOW)
    assert (report.status, report.by, report.until) == ("running_elsewhere", "dead-host:4242",
                                                        NOW + timedelta(minutes=3))
    assert calls == []
    [claim] = claims_of(app, "claims.generate")
    assert (claim.attempt, claim.finished_at, claim.claimed_by) == (1, None, "dead-host:4242")
    assert json.loads(report.line())["lease_expires_at"] == (NOW + timedelta(minutes=3)).isoformat()
    # Once the lease has run out with nobody renewing it, the next scheduler takes the period over.
    later = run_job(app.extensions["db_sessionmaker"], counting_job(calls), NOW + timedelta(minutes=3))
    assert (later.status, later.took_over) == ("ran", True)


def test_of_two_takers_of_an_abandoned_claim_only_the_first_wins(app):
    """The takeover is a conditional UPDATE on the attempt the claim was seen at: a second taker, even with the
    same stale view, finds the claim renewed under a new attempt and leaves it."""
    abandoned_claim(app, "claims.generate", "2026-11-23", lease_expires_at=NOW - timedelta(minutes=1))
    factory = app.extensions["db_sessionmaker"]
    with factory() as first, factory() as second:
        stale = second.scalar(select(JobRun))  # the second taker read the claim before the first took it
        assert claim_run(first, "claims.generate", "2026-11-23", NOW).took_over
        taken = second.execute(update(JobRun).where(JobRun.id == stale.id, JobRun.attempt == stale.attempt,
                                                    JobRun.lease_expires_at <= NOW)
                               .values(attempt=stale.attempt + 1)).rowcount
        second.rollback()
        assert taken == 0
        assert not claim_run(second, "claims.generate", "2026-11-23", NOW).won
    assert [c.attempt for c in claims_of(app, "claims.generate")] == [2]


def test_the_lease_is_renewed_while_the_job_runs(app):
    """A lease of a second, renewed every third of it: the job waits until it sees a later expiry than the
    claim's own (it would wait forever, and time out, if nothing renewed it)."""
    factory = app.extensions["db_sessionmaker"]
    seen: list = []

    def watch_the_lease(session, now):
        with factory() as other:
            for _ in range(600):
                other.expire_all()
                expiry = other.scalar(select(JobRun.lease_expires_at).where(JobRun.job == "test.leased"))
                if expiry > now + timedelta(seconds=1):
                    seen.append(expiry)
                    return {"renewed": True}
                threading.Event().wait(0.05)
        return {"renewed": False}

    job = Job("test.leased", watch_the_lease, minute, "interval", lease=timedelta(seconds=1))
    assert run_job(factory, job, NOW).outcome == {"renewed": True}
    [claim] = claims_of(app, "test.leased")
    assert claim.lease_expires_at >= seen[0]


def test_a_run_taken_over_while_running_leaves_the_outcome_to_the_taker(app):
    factory = app.extensions["db_sessionmaker"]

    def overtaken(session, now):
        with factory() as other:  # another scheduler decided this one was dead (say a long pause)
            other.execute(update(JobRun).where(JobRun.job == "test.paused").values(attempt=2, claimed_by="taker:1"))
            other.commit()
        return {"mine": True}

    report = run_job(factory, Job("test.paused", overtaken, minute, "interval"), NOW)
    assert report.status == "ran"
    [claim] = claims_of(app, "test.paused")
    assert (claim.finished_at, claim.outcome, claim.claimed_by) == (None, None, "taker:1")


def test_every_job_has_an_explicit_id_a_grace_time_in_minutes_and_coalesces(app):
    scheduler = build_scheduler(app.extensions["db_sessionmaker"], job_table(app.extensions["settings"]))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"reminders.weekly", "tests.missed", "reassessments.check", "results.no_valid_result",
                         "claims.generate", "outbox.deliver", "alerts.escalate"}
    for job in jobs.values():
        assert job.coalesce is True and job.misfire_grace_time >= 60 and job.max_instances == 1
    assert not scheduler.running


JOBS = ["reminders.weekly", "tests.missed", "reassessments.check", "results.no_valid_result", "claims.generate",
        "outbox.deliver", "alerts.escalate"]


def test_python_m_schedules_once_says_once_per_job_what_it_did(database_url, app):
    env = {**os.environ, "INR_DATABASE_URL": database_url, "INR_AUTO_MIGRATE": "0", "INR_WEBHOOK_URL": ""}
    done = subprocess.run([sys.executable, "-m", "schedules", "--once"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["job"] for line in lines] == JOBS
    assert {line["status"] for line in lines} == {"ran"}
    # Logging at INFO does not say it a second time.
    for job in JOBS:
        assert job not in done.stderr, done.stderr
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(JobRun)) == len(lines)


def test_a_second_once_run_in_the_same_period_says_who_did_it_or_is_still_doing_it(database_url, app, capsys,
                                                                                   monkeypatch):
    from schedules.__main__ import main

    monkeypatch.setenv("INR_DATABASE_URL", database_url)
    monkeypatch.setenv("INR_AUTO_MIGRATE", "0")
    monkeypatch.setenv("INR_WEBHOOK_URL", "")
    now = datetime.now(timezone.utc)
    for moment in (now, now + timedelta(minutes=5)):  # today, whatever the clock does between here and the run
        if not claims_of(app, "claims.generate") or day(moment) != claims_of(app, "claims.generate")[0].period:
            with app.app_context():
                session = db.session()
                session.add(JobRun(job="claims.generate", period=day(moment), claimed_at=now, claimed_by="other:7",
                                   lease_expires_at=now + timedelta(hours=1)))
                session.commit()

    assert main(["--once"]) == 0
    first = {row["job"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert main(["--once"]) == 0
    second = {row["job"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}

    assert list(first) == list(second) == JOBS
    assert (first["claims.generate"]["status"], first["claims.generate"]["by"]) == ("running_elsewhere", "other:7")
    assert "lease_expires_at" in first["claims.generate"]
    for job in JOBS:
        if job == "claims.generate":
            continue
        assert first[job]["status"] == "ran" and "outcome" in first[job]
        if second[job]["period"] == first[job]["period"]:  # a minute job may have moved on to the next minute
            assert second[job] == {"job": job, "period": first[job]["period"], "status": "done_elsewhere",
                                   "by": OWNER}
        else:
            assert second[job]["status"] == "ran"


# --- webhook delivery -----------------------------------------------------------------------------------------


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it is sent and answers `status` (204 unless a test makes
    it fail); started and stopped by the test, on a free port of the range this suite's servers use."""

    PORTS = range(18100, 18200)

    def __init__(self):
        self.port = self._free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.received: list[tuple[dict, bytes]] = []
        self.status = 204
        self.server = None

    @classmethod
    def _free_port(cls) -> int:
        for port in cls.PORTS:
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise RuntimeError(f"no free port in {cls.PORTS}")

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def queue_reminders(app, clinic, count_patients: int = 1):
    physician = clinic.users["physician"]
    patients = [clinic.patient] + [
        factories.make_patient(app, clinic.users["admin"], physician, NOW, full_name=f"Patient {i}")
        for i in range(count_patients - 1)]
    for patient in patients:
        factories.clear_for_home_testing(app, patient, date(2026, 11, 1), physician, NOW)
    run(app, send_weekly_reminders, NOW)
    return patients


def test_outbox_waits_while_the_receiver_is_down_and_everything_arrives_once_it_is_up(app, clinic, receiver):
    queue_reminders(app, clinic, 3)
    deliver = {"url": receiver.url, "secret": SECRET, "timeout": 2}
    assert run(app, deliver_outbox, NOW, **deliver) == {"delivered": 0, "failed": 3}
    receiver.start()
    assert run(app, deliver_outbox, NOW + timedelta(seconds=30), **deliver) == {"delivered": 0, "failed": 0}  # back-off
    assert run(app, deliver_outbox, NOW + timedelta(minutes=1), **deliver) == {"delivered": 3, "failed": 0}
    assert run(app, deliver_outbox, NOW + timedelta(minutes=5), **deliver) == {"delivered": 0, "failed": 0}

    sent = messages(app)
    assert all(m.delivered_at == NOW + timedelta(minutes=1) and m.attempts == 2 for m in sent)
    assert sorted(json.loads(body)["id"] for _, body in receiver.received) == sorted(str(m.public_id) for m in sent)
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-inr-signature"], expected)
        assert headers["x-inr-timestamp"] == str(int(NOW.timestamp()))  # when the message was created
        assert json.loads(body)["kind"] == "reminder.weekly_test"
    with app.app_context():
        attempts = list(db.session().scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)))
    assert [a.succeeded for a in attempts] == [False] * 3 + [True] * 3
    assert all(a.status_code is None and a.error for a in attempts[:3])
    assert all(a.status_code == 204 for a in attempts[3:])


def test_failed_deliveries_back_off_exponentially(app, clinic, receiver):
    queue_reminders(app, clinic)
    deliver = {"url": receiver.url, "secret": SECRET, "timeout": 2}
    when = NOW
    gaps = []
    for _ in range(4):
        run(app, deliver_outbox, when, **deliver)
        [message] = messages(app)
        gaps.append(message.next_attempt_at - when)
        when = message.next_attempt_at
    assert gaps == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]


def test_every_delivery_of_a_message_is_byte_identical(app, clinic, receiver):
    """The receiver took the message but answered 503 (say its database was down): the redelivery an hour later
    carries the very same body, signature and headers, so the receiver dedupes it on X-INR-Message-Id."""
    queue_reminders(app, clinic)
    deliver = {"url": receiver.url, "secret": SECRET, "timeout": 2}
    receiver.start()
    receiver.status = 503
    assert run(app, deliver_outbox, NOW, **deliver) == {"delivered": 0, "failed": 1}
    receiver.status = 204
    assert run(app, deliver_outbox, NOW + timedelta(hours=1), **deliver) == {"delivered": 1, "failed": 0}
    [(first_headers, first_body), (again_headers, again_body)] = receiver.received
    assert again_body == first_body
    wanted = ("x-inr-signature", "x-inr-timestamp", "x-inr-message-id", "content-type", "content-length")
    assert {name: again_headers[name] for name in wanted} == {name: first_headers[name] for name in wanted}
    [message] = messages(app)
    assert first_headers["x-inr-message-id"] == str(message.public_id)
    assert json.loads(first_body) == {"id": str(message.public_id), "kind": "reminder.weekly_test",
                                      "created_at": NOW.isoformat(), "recipient_id": clinic.id("patient"),
                                      "payload": message.payload}
    assert message.body.encode() == first_body  # stored at the first attempt


def alert_messages(app, clinic) -> dict[str, str]:
    """A critical and an out-of-range alert for the physician, queued at NOW; name -> dedupe key."""
    factories.record_result(app, clinic.patient, clinic.users["physician"], NOW, client_id="crit",
                            value=Decimal("1.2"))
    factories.record_result(app, clinic.other_patient, clinic.users["other_physician"], NOW, client_id="low",
                            value=Decimal("1.8"))
    by_severity = {m.payload["severity"]: m for m in messages(app, "alert.opened")}
    return {"critical": by_severity["critical"].dedupe_key, "out_of_range": by_severity["out_of_range"].dedupe_key}


def test_after_an_outage_one_success_sends_every_waiting_message_in_the_same_run_critical_first(app, clinic,
                                                                                                receiver):
    """Two hours down: each message backed off on its own, past the moment the receiver is back. The first
    delivery that succeeds shows the receiver is back, and everything waiting goes out in that run, critical
    alerts first, instead of each message sleeping out its own back-off."""
    alerts = alert_messages(app, clinic)
    deliver = {"url": receiver.url, "secret": SECRET, "timeout": 2}
    when = NOW
    while when < NOW + timedelta(hours=2):
        run(app, deliver_outbox, when, **deliver)
        when += timedelta(minutes=1)
    waiting = messages(app)
    assert all(m.delivered_at is None and m.next_attempt_at > when for m in waiting)
    queue_reminders(app, clinic)  # something new, due at once: the first thing tried when the receiver is back
    receiver.start()

    assert run(app, deliver_outbox, when, **deliver) == {"delivered": 3, "failed": 0}
    order = [json.loads(body)["kind"] + ":" + json.loads(body)["payload"].get("severity", "") for _, body in
             receiver.received]
    assert order == ["reminder.weekly_test:", "alert.opened:critical", "alert.opened:out_of_range"]
    sent = {m.dedupe_key: m for m in messages(app)}
    assert sent[alerts["critical"]].priority == 0 and sent[alerts["out_of_range"]].priority == 1
    assert all(m.delivered_at == when for m in sent.values())


def test_when_nothing_is_due_the_most_urgent_waiting_message_is_tried_after_a_quiet_spell(app, clinic, receiver):
    """No new message arrives after the outage: after PROBE_AFTER without any attempt, the critical alert is
    tried ahead of its back-off; it succeeds, and the rest follow in the same run."""
    alerts = alert_messages(app, clinic)
    deliver = {"url": receiver.url, "secret": SECRET, "timeout": 2}
    for minutes in (0, 1, 3, 7, 15):
        run(app, deliver_outbox, NOW + timedelta(minutes=minutes), **deliver)
    receiver.start()
    quiet = NOW + timedelta(minutes=15) + PROBE_AFTER
    assert all(m.next_attempt_at > quiet for m in messages(app))
    assert run(app, deliver_outbox, quiet - timedelta(seconds=1), **deliver) == {"delivered": 0, "failed": 0}
    assert run(app, deliver_outbox, quiet, **deliver) == {"delivered": 2, "failed": 0}
    first = json.loads(receiver.received[0][1])
    assert first["payload"]["severity"] == "critical" and first["id"] == str(
        next(m.public_id for m in messages(app) if m.dedupe_key == alerts["critical"]))


def test_delivery_without_a_configured_webhook_keeps_messages_waiting(app, clinic):
    queue_reminders(app, clinic)
    outcome = run(app, deliver_outbox, NOW, url="", secret="")
    assert outcome["delivered"] == 0 and "skipped" in outcome
    assert [m.delivered_at for m in messages(app)] == [None]


# --- two schedulers at once (PostgreSQL) ------------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="two schedulers at once need PostgreSQL's row locks (set INR_TEST_DATABASE_URL)")


def at_once(app, work, count: int = 2) -> list:
    """Run `work(session)` in `count` threads, each with its own session and connection, released together."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count
    errors: list = []

    def worker(i):
        try:
            with app.extensions["db_sessionmaker"]() as session:
                barrier.wait(timeout=30)
                outcomes[i] = work(session)
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return outcomes


@pytest.mark.postgres
@needs_postgres
def test_two_schedulers_claim_the_same_period_once(app, clinic):
    queue_reminders(app, clinic, 1)
    job = Job("reminders.weekly", send_weekly_reminders, minute, "interval")
    factory = app.extensions["db_sessionmaker"]
    outcomes = at_once(app, lambda _session: run_job(factory, job, NOW + timedelta(hours=1)).status)
    # The loser finds the period finished, or still running under the winner's lease, depending on timing.
    assert outcomes.count("ran") == 1
    assert set(outcomes) - {"ran"} <= {"done_elsewhere", "running_elsewhere"}


@pytest.mark.postgres
@needs_postgres
def test_two_schedulers_running_the_jobs_together_produce_every_effect_exactly_once(app, clinic, receiver):
    patients = []
    physician = clinic.users["physician"]
    for i in range(12):
        patient = factories.make_patient(app, clinic.users["admin"], physician, NOW, full_name=f"Patient {i}")
        factories.clear_for_home_testing(app, patient, date(2026, 10, 1), physician, NOW)
        factories.make_order(app, patient, date(2026, 10, 1))
        factories.make_training_event(app, patient, date(2026, 10, 2))
        for k in range(4):
            factories.make_result(app, patient, NOW - timedelta(weeks=5 - k))
        patients.append(patient)

    # The job functions themselves, without the run claim: only the effects' own keys protect them here.
    generated = at_once(app, lambda session: claim_generation.generate_claims(session, NOW), count=3)
    reminded = at_once(app, lambda session: send_weekly_reminders(session, NOW), count=3)
    missed = at_once(app, lambda session: detect_missed_tests(session, NOW), count=3)
    assert sum(o["created"] for o in generated) == 12 * 2
    assert sum(o["queued"] for o in reminded) == 12 and sum(o["reminded"] for o in missed) == 12
    with app.app_context():
        session = db.session()
        keys = list(session.scalars(select(ClaimLine.claim_key)))
        assert len(keys) == len(set(keys)) == 12 * 2  # 93792 and G0249 per patient
        outbox_keys = list(session.scalars(select(OutboxMessage.dedupe_key)))
        assert len(outbox_keys) == len(set(outbox_keys))
        assert len([k for k in outbox_keys if k.startswith("reminder.weekly:")]) == 12

    # The clinical jobs: overdue reassessments (an alert, then a suspension) and "no valid result" episodes.
    trainer = clinic.users["trainer"]
    for i in range(6):
        lapsed = factories.make_patient(app, clinic.users["admin"], physician, NOW - timedelta(days=500),
                                        full_name=f"Lapsed {i}")
        factories.competent_training(app, lapsed, trainer, NOW - timedelta(days=430), NOW - timedelta(days=430))
        factories.clear_for_home_testing(app, lapsed, date(2025, 10, 1), physician, NOW - timedelta(days=400))
        factories.record_result(app, lapsed, physician, NOW - timedelta(hours=30), value=Decimal("2.5"),
                                qc_passed=False, client_id=f"strip-{i}")
    settings = app.extensions["settings"]
    reassessed = at_once(app, lambda session: check_reassessments(session, NOW, settings=settings), count=3)
    watched = at_once(app, lambda session: detect_no_valid_results(session, NOW, settings=settings), count=3)
    assert sum(o["suspended"] for o in reassessed) == 6 and sum(o["alerted"] for o in reassessed) == 6
    assert sum(o["opened"] for o in watched) == 6
    with app.app_context():
        session = db.session()
        kinds = list(session.scalars(select(Alert.kind).where(Alert.kind != "missed_tests")))
        assert sorted(kinds) == ["no_valid_result"] * 6 + ["reassessment_overdue"] * 6
        assert session.scalar(select(func.count()).select_from(ClearanceDecision).where(
            ClearanceDecision.status == "suspended")) == 6
        outbox_keys = list(session.scalars(select(OutboxMessage.dedupe_key)))
        assert len(outbox_keys) == len(set(outbox_keys))

    receiver.start()
    deliver = {"url": receiver.url, "secret": SECRET, "timeout": 5}
    outcomes = at_once(app, lambda session: deliver_outbox(session, NOW, **deliver), count=3)
    assert sum(o["delivered"] for o in outcomes) == len(outbox_keys)
    sent_ids = [json.loads(body)["id"] for _, body in receiver.received]
    assert len(sent_ids) == len(set(sent_ids)) == len(outbox_keys)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(DeliveryAttempt)) == len(outbox_keys)
