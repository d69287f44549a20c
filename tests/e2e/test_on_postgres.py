"""The end-to-end suites of the HTTP API, courses, site administration and chat, run again
with the server on a real PostgreSQL database (the tests start it) instead of SQLite.

The tests are the same functions as in their own modules; only ``db_path`` differs. Those
that read the SQLite file itself to check what was stored are left to their modules.
"""

import pytest
import test_chat
import test_courses
import test_http_api
import test_site_admin

READS_THE_SQLITE_FILE = {
    "test_a_private_room_refuses_a_wrong_key",
    "test_deleting_a_room_closes_its_sockets_and_leaves_no_rows",
    "test_a_retried_client_id_is_stored_once",
    "test_acknowledged_messages_survive_kill_9",
}


@pytest.fixture
def db_path(postgres_url) -> str:
    return postgres_url


for _module in (test_http_api, test_courses, test_site_admin, test_chat):
    for _name in dir(_module):
        if _name.startswith("test_") and _name not in READS_THE_SQLITE_FILE:
            globals()[_name] = getattr(_module, _name)
