"""Reliability on PostgreSQL: one result from many concurrent copies, a connection killed mid-ingest, and two
scheduler processes started together. Each test skips on SQLite, which has neither processes sharing a server
nor backends to kill."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event, func, select, text

from models import (
    Alert,
    AlertEvent,
    AuditEvent,
    ClaimLine,
    ClearanceDecision,
    DeliveryAttempt,
    InrResult,
    JobRun,
    OutboxMessage,
)
from schedules.delivery import deliver_outbox
from schedules.runs import OWNER
from service import db
from tests import factories
from tests.conftest import NOW, POSTGRES_URL
from tests.test_schedules import ROOT, SECRET, Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(
    not POSTGRES_URL, reason="needs PostgreSQL (set INR_TEST_DATABASE_URL): several processes sharing one server, "
                             "and a backend to terminate")]

RESULT = {"client_id": "app-race-1", "value": 1.2, "measured_at": "2026-11-23T09:30:00-05:00", "qc_passed": True,
          "meter_serial": "UP12345678", "strip_lot": "47312"}


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model).where(*where))


# --- many copies of one result, from threads and processes ------------------------------------------------------


def _post_copies(database_url: str, path: str, headers: dict, threads: int, barrier, answers) -> None:
    """In a process of its own: a fresh app and engine, `threads` clients posting the same result at once."""
    from service import create_app
    from service.clock import FixedClock
    from tests.conftest import settings_for_test

    app = create_app(settings_for_test(database_url), clock_source=FixedClock(NOW), test_config={"TESTING": True})
    answers.put(_send_copies(app, path, headers, threads, barrier))
    app.extensions["db_engine"].dispose()


def _send_copies(app, path: str, headers: dict, threads: int, barrier) -> list:
    """`threads` clients of `app` post the same result once the barrier releases; (status, id) per answer."""
    found: list = []

    def send():
        client = app.test_client()
        barrier.wait(timeout=60)
        response = client.post(path, json=RESULT, headers=headers)
        found.append((response.status_code, (response.get_json(silent=True) or {}).get("id")))

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=90)
    return found


def test_copies_of_one_result_from_threads_and_processes_store_one_result_one_alert_one_message(app, clinic):
    processes, per_process, local = 3, 3, 3
    context = multiprocessing.get_context("spawn")  # each process builds its own app, engine and pool
    barrier = context.Barrier(processes * per_process + local)
    answers = context.Queue()
    path = f"/patients/{clinic.patient_id}/results"
    headers = clinic.headers["patient"]
    children = [context.Process(target=_post_copies, args=(app.extensions["settings"].database_url, path, headers, per_process,
                                                           barrier, answers)) for _ in range(processes)]
    for child in children:
        child.start()

    found = _send_copies(app, path, headers, local, barrier)
    for _ in children:
        found += answers.get(timeout=90)
    for child in children:
        child.join(timeout=30)
        assert child.exitcode == 0

    assert len(found) == processes * per_process + local
    statuses = sorted(status for status, _ in found)
    assert statuses == [200] * (len(found) - 1) + [201], statuses
    assert len({result_id for _, result_id in found}) == 1
    assert count(app, InrResult) == 1
    assert count(app, Alert) == 1
    assert count(app, OutboxMessage) == 1
    assert count(app, AuditEvent, AuditEvent.action == "result.create") == 1


# --- the database connection killed in the middle of an ingest ---------------------------------------------------


@contextmanager
def backend_killed(app, when):
    """Terminate the request's own PostgreSQL backend right after the first flush for which `when(session)` holds.

    Yields the list of killed backend pids (one at most)."""
    factory = app.extensions["db_sessionmaker"]
    admin = create_engine(app.extensions["db_engine"].url)
    killed: list[int] = []

    def kill_own_backend(session, _flush_context):
        if killed or not when(session):
            return
        pid = session.connection().connection.driver_connection.info.backend_pid
        with admin.connect() as conn:  # the timeout makes PostgreSQL wait until the backend is gone
            assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
        killed.append(pid)

    event.listen(factory, "after_flush", kill_own_backend)
    try:
        yield killed
    finally:
        event.remove(factory, "after_flush", kill_own_backend)
        admin.dispose()


@contextmanager
def backend_killed_after_insert(app, table: str, nth: int = 1):
    """Terminate the request's own PostgreSQL backend right after its `nth` INSERT into `table` (a result is
    inserted by a statement of its own, INSERT ... ON CONFLICT, not by a flush). Yields the killed pids."""
    engine = app.extensions["db_engine"]
    admin = create_engine(engine.url)
    killed: list[int] = []
    seen: list[str] = []

    def kill_own_backend(conn, _cursor, statement, _parameters, _context, _executemany):
        if killed or not statement.startswith(f"INSERT INTO {table} "):
            return
        seen.append(statement)
        if len(seen) < nth:
            return
        pid = conn.connection.driver_connection.info.backend_pid
        with admin.connect() as other:  # the timeout makes PostgreSQL wait until the backend is gone
            assert other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
        killed.append(pid)

    event.listen(engine, "after_cursor_execute", kill_own_backend)
    try:
        yield killed
    finally:
        event.remove(engine, "after_cursor_execute", kill_own_backend)
        admin.dispose()


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "psycopg" not in body and "terminat" not in body


def writes(session, model) -> int:
    return sum(isinstance(obj, model) for obj in session.new)


@pytest.mark.parametrize("moment", ["after the result insert", "at commit"])
def test_a_connection_killed_mid_ingest_is_a_503_problem_and_the_retry_lands_exactly_once(moment, app, client,
                                                                                         clinic):
    """The request's own backend is terminated after its result row is flushed (the alert insert then fails)
    or after everything is flushed (the COMMIT fails): a 503 problem document, nothing stored; the app's retry
    with the same client_id stores one result and one alert, and a further retry replays it."""
    path = f"/patients/{clinic.patient_id}/results"
    killing = (backend_killed_after_insert(app, "inr_results") if moment == "after the result insert"
               else backend_killed(app, lambda session: writes(session, OutboxMessage)))
    with killing as killed:
        response = client.post(path, json=RESULT, headers=clinic.headers["patient"])
    assert killed, "the hook never fired"
    assert_unavailable(response)
    assert (count(app, InrResult), count(app, Alert), count(app, OutboxMessage)) == (0, 0, 0)

    retry = client.post(path, json=RESULT, headers=clinic.headers["patient"])
    assert retry.status_code == 201
    again = client.post(path, json=RESULT, headers=clinic.headers["patient"])
    assert again.status_code == 200 and again.json["id"] == retry.json["id"]
    assert (count(app, InrResult), count(app, Alert), count(app, OutboxMessage)) == (1, 1, 1)


def test_a_connection_killed_mid_batch_is_a_503_and_the_retried_batch_stores_each_result_once(app, client, clinic):
    """Items before the failure are already stored on their own; the retried batch replays them and stores
    the rest, so every result lands exactly once."""
    items = [{**RESULT, "client_id": f"offline-{i}", "measured_at": f"2026-11-2{i}T09:30:00-05:00"} for i in (1, 2, 3)]
    path = f"/patients/{clinic.patient_id}/results/batch"
    with backend_killed_after_insert(app, "inr_results", nth=2) as killed:
        response = client.post(path, json={"results": items}, headers=clinic.headers["patient"])
    assert killed
    assert_unavailable(response)
    assert count(app, InrResult) == 1
    retry = client.post(path, json={"results": items}, headers=clinic.headers["patient"])
    assert retry.status_code == 200
    assert [item["status"] for item in retry.json["items"]] == [200, 201, 201]
    assert (count(app, InrResult), count(app, Alert), count(app, OutboxMessage)) == (3, 3, 3)


@pytest.mark.parametrize("moment", ["while the answer is read back", "once the answer is made"])
def test_a_connection_killed_after_the_commit_never_answers_with_the_servers_html(moment, app, client, clinic):
    """The request's commit is done, then its backend dies: under the first statement that reads the answer back
    (503 problem document saying the result may be stored), or after the answer is made (the answer stands;
    closing the session on the dead connection must not turn it into the server's HTML 500). Either way the retry
    with the same client_id replays the one stored result.

    A new result's answer is made before its commit, from what the request has in hand; a retry's is read back
    after it commits the replay's audit event, so that is where the first case strikes."""
    path = f"/patients/{clinic.patient_id}/results"
    if moment == "while the answer is read back":
        assert client.post(path, json=RESULT, headers=clinic.headers["patient"]).status_code == 201
    factory, engine = app.extensions["db_sessionmaker"], app.extensions["db_engine"]
    admin = create_engine(engine.url)
    committed: list[bool] = []
    backend: list[int] = []
    killed: list[int] = []

    def kill(pid: int) -> None:
        with admin.connect() as other:
            assert other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
        killed.append(pid)

    def note_commit(session):
        if any(isinstance(obj, InrResult) for obj in session.identity_map.values()):
            committed.append(True)

    def before_statement(conn, _cursor, _statement, _parameters, _context, _executemany):
        backend[:] = [conn.connection.driver_connection.info.backend_pid]
        if moment == "while the answer is read back" and committed and not killed:
            kill(backend[0])

    def after_answer(response):
        if moment == "once the answer is made" and committed and not killed:
            kill(backend[0])
        return response

    event.listen(factory, "after_commit", note_commit)
    event.listen(engine, "before_cursor_execute", before_statement)
    app.after_request_funcs.setdefault(None, []).append(after_answer)
    try:
        response = client.post(path, json=RESULT, headers=clinic.headers["patient"])
    finally:
        app.after_request_funcs[None].remove(after_answer)
        event.remove(factory, "after_commit", note_commit)
        event.remove(engine, "before_cursor_execute", before_statement)
        admin.dispose()
    assert killed, "the hook never fired"
    if moment == "while the answer is read back":
        assert_unavailable(response)
        assert "may or may not have been stored" in response.json["detail"]
    else:
        assert response.status_code == 201 and response.mimetype == "application/json"
    assert count(app, InrResult) == 1
    retry = client.post(f"/patients/{clinic.patient_id}/results", json=RESULT, headers=clinic.headers["patient"])
    assert retry.status_code == 200
    assert (count(app, InrResult), count(app, Alert)) == (1, 1)


# --- two scheduler processes started together --------------------------------------------------------------------


def due_work(app, now: datetime) -> dict:
    """Work every job finds due at the real `now` (the scheduler process reads the wall clock):

    `billed` was cleared 60 days ago, trained and tested weekly until two weeks ago (claims, a missed week);
    `silent` was cleared 60 days ago and never tested (two missed weeks: the physician is alerted);
    `critical` reported INR 1.2 two hours ago and nobody acknowledged the alert (it escalates);
    `lapsed` was cleared 400 days ago on a competent sign-off of 430 days ago: its reassessment is overdue past the
    grace (a routine alert, and clearance suspended);
    `unsure` reported a failed strip 30 hours ago and nothing since (the "no valid result" alert).
    The cleared patients are due their weekly reminder; every message waits in the outbox for delivery.
    """
    factories.set_practice(app, reminder_weekday="sunday", reminder_time="00:00")  # due from the start of every week
    long_ago = now - timedelta(days=120)
    admin = factories.make_user(app, "admin", "admin@clinic.test", now=long_ago)
    physician = factories.make_user(app, "physician", "physician@clinic.test", now=long_ago)
    trainer = factories.make_user(app, "trainer", "trainer@clinic.test", now=long_ago)
    made = {name: factories.make_patient(app, admin, physician, long_ago, full_name=name.title())
            for name in ("billed", "silent", "critical", "unsure")}
    made["lapsed"] = factories.make_patient(app, admin, physician, now - timedelta(days=440), full_name="Lapsed")
    for name in ("billed", "silent"):
        factories.clear_for_home_testing(app, made[name], (now - timedelta(days=60)).date(), physician, long_ago)
    factories.make_order(app, made["billed"], (now - timedelta(days=59)).date())
    factories.make_order(app, made["lapsed"], (now - timedelta(days=431)).date())  # 93792 needs an order by then
    factories.competent_training(app, made["lapsed"], trainer, now - timedelta(days=430), now - timedelta(days=430))
    factories.clear_for_home_testing(app, made["lapsed"], (now - timedelta(days=400)).date(), physician,
                                     now - timedelta(days=400))
    factories.make_training_event(app, made["billed"], (now - timedelta(days=58)).date())
    for weeks in (5, 4, 3, 2):
        factories.make_result(app, made["billed"], now - timedelta(weeks=weeks))
    factories.record_result(app, made["critical"], physician, now - timedelta(hours=2), value=Decimal("1.2"))
    factories.record_result(app, made["unsure"], physician, now - timedelta(hours=30), value=Decimal("2.5"),
                            qc_passed=False)
    return made


def test_two_scheduler_processes_started_together_do_every_jobs_work_exactly_once(app):
    receiver = Receiver()
    receiver.start()
    try:
        now = datetime.now(timezone.utc)
        made = due_work(app, now)
        env = {**os.environ, "INR_DATABASE_URL": app.extensions["settings"].database_url, "INR_AUTO_MIGRATE": "0",
               "INR_WEBHOOK_URL": receiver.url, "INR_WEBHOOK_SECRET": SECRET, "INR_WEBHOOK_TIMEOUT_SECONDS": "5",
               "INR_BILLING_PROVIDER_NPI": "1234567893", "INR_ESCALATE_CRITICAL_MINUTES": "30"}
        command = [sys.executable, "-m", "schedules", "--once"]
        both = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
        outputs = [process.communicate(timeout=120) for process in both]
        assert [process.returncode for process in both] == [0, 0], [err[-2000:] for _, err in outputs]

        ran: dict[str, list] = {}
        for stdout, _ in outputs:
            for line in stdout.splitlines():
                row = json.loads(line)
                ran.setdefault(row["job"], []).append(row)
        for job, rows in ran.items():
            done = [row["outcome"] for row in rows if row["status"] == "ran"]
            assert done, f"{job}: neither scheduler ran it: {rows}"
            assert not any(row["status"] == "failed" for row in rows), f"{job}: {rows}"

        with app.app_context():
            session = db.session()
            claims = list(session.execute(select(JobRun.job, JobRun.period)))
            assert len(claims) == len(set(claims))
            keys = list(session.scalars(select(OutboxMessage.dedupe_key)))
            assert len(keys) == len(set(keys)), "an outbox message was queued twice"
            pid = {name: str(patient.public_id) for name, patient in made.items()}

            def keyed(prefix: str) -> list[str]:
                return [k for k in keys if k.startswith(prefix)]

            assert len(keyed(f"reminder.weekly:{pid['billed']}:")) == 1
            assert len(keyed(f"reminder.weekly:{pid['silent']}:")) == 1
            assert keyed(f"reminder.weekly:{pid['critical']}:") == []
            assert len(keyed(f"missed.week:{pid['silent']}:")) == 1
            assert len(keyed(f"missed.two_weeks:{pid['silent']}:")) == 1
            by_kind = {}
            for kind, patient_id in session.execute(select(Alert.kind, Alert.patient_id)):
                by_kind.setdefault(kind, []).append(patient_id)
            assert sorted(by_kind["result"]) == [made["critical"].id]
            assert sorted(by_kind["no_valid_result"]) == [made["unsure"].id]
            assert sorted(by_kind["reassessment_overdue"]) == [made["lapsed"].id]
            assert made["silent"].id in by_kind["missed_tests"] and len(set(by_kind["missed_tests"])) == len(
                by_kind["missed_tests"])  # one per gap
            # Opened once each: the result, the episode, the overdue reassessment (missed tests notify as before).
            assert len(keyed("alert.opened:")) == 3
            [alert] = session.scalars(select(Alert).where(Alert.kind == "result"))
            assert keyed("alert.escalated:") == [f"alert.escalated:{alert.public_id}:2"]
            suspensions = list(session.scalars(select(ClearanceDecision.patient_id).where(
                ClearanceDecision.status == "suspended")))
            assert suspensions == [made["lapsed"].id]
            assert session.scalar(select(func.count()).select_from(AlertEvent).where(
                AlertEvent.kind == "escalated")) == 1

            lines = list(session.execute(select(ClaimLine.claim_key, ClaimLine.patient_id, ClaimLine.code)))
            assert len(lines) == len({key for key, _, _ in lines}), "a claim line was written twice"
            billed = sorted(code for _, patient_id, code in lines if patient_id == made["billed"].id)
            assert billed == ["93792", "G0249"]
            lapsed = sorted(code for _, patient_id, code in lines if patient_id == made["lapsed"].id)
            assert lapsed == ["93792"]  # its training, long ago; nothing while suspended
            assert all(patient_id in (made["billed"].id, made["lapsed"].id) for _, patient_id, _ in lines)

            # What the run delivered arrived once each; a later delivery run sends the rest, again once each.
            delivered_first = session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.delivered_at.is_not(None)))
            assert delivered_first > 0
            assert len(receiver.received) == delivered_first
            deliver_outbox(session, datetime.now(timezone.utc) + timedelta(minutes=1), url=receiver.url,
                           secret=SECRET, timeout=5)
            ids = sorted(str(m) for m in session.scalars(select(OutboxMessage.public_id)))
            assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == len(ids)
        sent = sorted(json.loads(body)["id"] for _, body in receiver.received)
        assert sent == ids, "every notification arrives exactly once"
    finally:
        receiver.stop()


# --- a race on any other unique fact --------------------------------------------------------------------------------


def test_copies_of_one_new_account_race_to_one_201_and_conflicts_never_a_500(app, clinic):
    """Both copies pass the "e-mail free?" check; the unique index decides, and the loser hears 409, not 500."""
    body = {"email": "race@clinic.test", "password": "a long enough password", "role": "trainer",
            "full_name": "Rae Race"}
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def send():
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post("/users", json=body, headers=clinic.headers["admin"])
        statuses.append(response.status_code)
        assert response.mimetype == ("application/json" if response.status_code == 201 else "application/problem+json")

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] + [409] * 5, statuses
    from models import User

    assert count(app, User, User.email == "race@clinic.test") == 1


# --- a scheduler killed in the middle of a run ----------------------------------------------------------------------

STUCK_LEASE = timedelta(seconds=1.5)


def stuck_period(_now: datetime) -> str:
    return "the-period"


def _run_and_hang(database_url: str, started) -> None:
    """In a process of its own: claim `test.stuck`, queue the job's one effect, say so, and hang mid-run (holding
    the transaction open) until the test kills the process."""
    import time

    from schedules.jobs import Job, run_job
    from service import outbox

    def hang(session, now):
        outbox.enqueue(session, key="test.stuck:the-period", kind="reminder.test", payload={}, now=now)
        session.flush()
        started.set()
        time.sleep(600)
        return {"never": "reached"}

    engine = db.make_engine(database_url)
    run_job(db.make_sessionmaker(engine), Job("test.stuck", hang, stuck_period, "interval", lease=STUCK_LEASE))


def claim_row(app) -> JobRun:
    with app.app_context():
        return db.session().scalar(select(JobRun).where(JobRun.job == "test.stuck"))


def wait_until(condition, what: str, tries: int = 600, pause: float = 0.05):
    for _ in range(tries):
        value = condition()
        if value:
            return value
        threading.Event().wait(pause)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_scheduler_killed_mid_run_leaves_its_period_to_the_next_once_the_lease_runs_out(app):
    """The first scheduler claims the period and renews its lease while the job runs; SIGKILL stops it mid-run
    (its transaction dies with it, the claim stays unfinished). A second scheduler takes the period over once
    nobody renews the lease, runs the job, and the job's effect exists exactly once."""
    import signal

    context = multiprocessing.get_context("spawn")
    started = context.Event()
    child = context.Process(target=_run_and_hang, args=(app.extensions["settings"].database_url, started))
    child.start()
    try:
        assert started.wait(60), "the first scheduler never started its run"
        first = claim_row(app)
        assert (first.finished_at, first.attempt) == (None, 1)
        # Renewed while running: the lease moves past the one the claim began with.
        wait_until(lambda: claim_row(app).lease_expires_at > first.lease_expires_at, "a lease renewal")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL

    abandoned = claim_row(app)
    assert abandoned.finished_at is None and abandoned.claimed_by != OWNER
    assert count(app, OutboxMessage) == 0  # the killed run's effect died with its transaction
    wait_until(lambda: claim_row(app).lease_expires_at < datetime.now(timezone.utc), "the lease to run out")

    from schedules.jobs import Job, run_job
    from service import outbox

    def finish(session, now):
        outbox.enqueue(session, key="test.stuck:the-period", kind="reminder.test", payload={}, now=now)
        session.commit()
        return {"queued": 1}

    job = Job("test.stuck", finish, stuck_period, "interval", lease=STUCK_LEASE)
    report = run_job(app.extensions["db_sessionmaker"], job)
    assert (report.status, report.took_over, report.outcome) == ("ran", True, {"queued": 1})
    taken = claim_row(app)
    assert (taken.attempt, taken.claimed_by, taken.outcome) == (2, OWNER, {"queued": 1})
    assert taken.finished_at is not None
    assert count(app, OutboxMessage) == 1
    assert run_job(app.extensions["db_sessionmaker"], job).status == "done_elsewhere"
