"""Schema-driven fuzzing: Schemathesis sends what docs/openapi.yaml allows (and what it
forbids) to a real ``twistd iclicker`` and checks every answer against the document.

The budget per operation is ``ICLICKER_FUZZ_EXAMPLES`` (small in CI);
``scripts/fuzz`` runs a longer one.
"""

import os
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from support import PASSWORD, TwistdProcess, make_account

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = int(os.environ.get("ICLICKER_FUZZ_EXAMPLES", "30"))

schema = schemathesis.openapi.from_path(str(DOCS))

# Rules JSON Schema cannot say, so a schema-valid body may still be refused:
# choices distinct case-insensitively and ``correct`` naming one of them;
# a password's limit in UTF-8 bytes, not characters; what a spreadsheet must hold;
# that nobody adds themselves as a contact.
CROSS_FIELD_RULES = {
    "POST /api/lectures/{lecture_id}/questions",
    "POST /api/register",
    "POST /api/courses/{course_id}/roster",
    "POST /api/courses/{course_id}/questions",
    "POST /api/me/photo",
    "POST /api/me/password",
    "POST /api/contacts",
}


class LiveServer(TwistdProcess):
    """A twistd process with an instructor who can log in and a lecture to aim at."""

    def start(self) -> None:
        super().start()
        make_account(self.db_path, "fuzzprof", "instructor")
        headers = {"Cookie": f"iclicker_session={self.log_in()}"}
        lecture = requests.post(
            self.base + "/api/lectures", json={"title": "Fuzzed"}, headers=headers
        ).json()["lecture"]
        requests.post(
            self.base + f"/api/lectures/{lecture['id']}/questions",
            json={"text": "Q?", "choices": ["a", "b"]},
            headers=headers,
        )

    def log_in(self) -> str:
        response = requests.post(
            self.base + "/api/login", json={"username": "fuzzprof", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return response.cookies["iclicker_session"]

    def healthy(self) -> bool:
        return requests.get(self.base + "/healthz", timeout=5).status_code == 200


LIVE: list[LiveServer] = []


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("fuzz"))
    server.start()
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
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("ICLICKER_FUZZ_RANDOM") is None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_description(case, live):
    """Generated calls never get a 500, and every answer matches docs/openapi.yaml."""
    response = case.call(base_url=live.base, timeout=10)
    excluded = [positive_data_acceptance] if case.operation.label in CROSS_FIELD_RULES else []
    case.validate_response(response, excluded_checks=excluded)
    if response.status_code >= 400 and case.path.startswith("/api/"):
        error = response.json()["error"]
        assert set(error) >= {"code", "message"}
