"""The service behind gunicorn, as deployed (gunicorn.conf.py): what a real HTTP server hands the app.

A chunked body (no Content-Length) is read, and an over-long request line or header is answered by the app
with a problem document, because gunicorn's own limits are set above the app's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import result_body

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = free_port()


@pytest.fixture
def server(app, clinic, database_url):
    app.extensions["db_engine"].dispose()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("INR_")}, "INR_DATABASE_URL": database_url,
           "INR_AUTO_MIGRATE": "0", "INR_LOG_LEVEL": "WARNING", "GUNICORN_BIND": f"127.0.0.1:{PORT}",
           "GUNICORN_WORKERS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(process.stderr.read().decode()[-2000:])
                time.sleep(0.1)
        yield clinic
    finally:
        process.terminate()
        process.wait(timeout=20)


def raw(request: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are and read the whole answer (the server closes: Connection: close)."""
    with socket.create_connection(("127.0.0.1", PORT), timeout=20) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_a_chunked_body_is_read_like_any_other(server):
    clinic = server
    body = json.dumps(result_body(client_id="chunked-1")).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:40], body[40:])) + b"0\r\n\r\n"
    status, headers, answer = raw(
        f"POST /patients/{clinic.patient_id}/results HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: {clinic.headers['patient']['Authorization']}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode() + chunks)
    assert status == 201, answer
    assert json.loads(answer)["client_id"] == "chunked-1"


def test_an_over_long_request_line_is_a_414_problem_document(server):
    status, headers, body = raw(f"GET /patients?q={'x' * 5000} HTTP/1.1\r\nHost: localhost\r\n"
                                "Connection: close\r\n\r\n".encode())
    assert status == 414
    assert headers["content-type"] == "application/problem+json" and json.loads(body)["status"] == 414


def test_an_over_long_header_is_a_431_problem_document(server):
    status, headers, body = raw(f"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Note: {'y' * 10000}\r\n"
                                "Connection: close\r\n\r\n".encode())
    assert status == 431
    assert headers["content-type"] == "application/problem+json" and json.loads(body)["status"] == 431
