"""Schema-driven fuzzing: Schemathesis sends what docs/openapi.yaml allows (and what it
forbids) to a real ``twistd iclicker`` and checks every answer against the document.

The budget per operation is ``ICLICKER_FUZZ_EXAMPLES`` (small in CI);
``scripts/fuzz`` runs a longer one.
"""

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from support import PASSWORD, make_account
from test_twistd import free_port, installed_script

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = int(os.environ.get("ICLICKER_FUZZ_EXAMPLES", "30"))

schema = schemathesis.openapi.from_path(str(DOCS))

# Rules JSON Schema cannot say, so a schema-valid body may still be refused:
# choices distinct case-insensitively and ``correct`` naming one of them;
# a password's limit in UTF-8 bytes, not characters.
CROSS_FIELD_RULES = {"POST /api/lectures/{lecture_id}/questions", "POST /api/register"}


class LiveServer:
    """A twistd process with an instructor logged in and a lecture to aim at."""

    def __init__(self, workdir: Path) -> None:
        self.db_path = str(workdir / "fuzz.sqlite3")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                installed_script("twistd"),
                "--pidfile=",
                "-n",
                "--logfile",
                str(workdir / "twistd.log"),
                "iclicker",
                "--port",
                f"tcp:{port}:interface=127.0.0.1",
                "--db",
                self.db_path,
                "--bcrypt-rounds",
                "4",
            ],
            cwd=workdir,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        make_account(self.db_path, "fuzzprof", "instructor")
        self.cookie = ""
        self.log_in()
        lecture = requests.post(
            self.url + "/api/lectures", json={"title": "Fuzzed"}, headers=self.headers
        ).json()["lecture"]
        requests.post(
            self.url + f"/api/lectures/{lecture['id']}/questions",
            json={"text": "Q?", "choices": ["a", "b"]},
            headers=self.headers,
        )

    @property
    def headers(self) -> dict:
        return {"Cookie": f"iclicker_session={self.cookie}"}

    def log_in(self) -> str:
        response = requests.post(
            self.url + "/api/login", json={"username": "fuzzprof", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.cookie = response.cookies["iclicker_session"]
        return self.cookie

    def healthy(self) -> bool:
        return requests.get(self.url + "/healthz", timeout=5).status_code == 200

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


LIVE: list[LiveServer] = []


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("fuzz"))
    LIVE.append(server)
    yield server
    LIVE.remove(server)
    assert server.healthy(), "the server must still answer after the fuzzing"
    server.stop()


@schema.auth(refresh_interval=None)
class InstructorSession:
    """A fresh session for every case, so a fuzzed logout ends only its own."""

    def get(self, case, context) -> str:
        # Schemathesis also asks while collecting, before any server runs.
        return LIVE[0].log_in() if LIVE else ""

    def set(self, case, cookie: str, context) -> None:
        case.cookies = {**(case.cookies or {}), "iclicker_session": cookie}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_description(case, live):
    """Generated calls never get a 500, and every answer matches docs/openapi.yaml."""
    response = case.call(base_url=live.url, timeout=10)
    excluded = [positive_data_acceptance] if case.operation.label in CROSS_FIELD_RULES else []
    case.validate_response(response, excluded_checks=excluded)
    if response.status_code >= 400 and case.path.startswith("/api/"):
        error = response.json()["error"]
        assert set(error) >= {"code", "message"}
