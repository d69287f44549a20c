"""Fixtures for the browser tests: a real twistd process and Debian's Chromium."""

import pytest
from browsing import launch
from playwright.sync_api import sync_playwright
from support import TwistdProcess


@pytest.fixture
def site(tmp_path):
    """A running twistd iclicker; no traceback may appear in its log."""
    running = TwistdProcess(tmp_path)
    running.start()
    yield running
    running.stop()
    assert b"Traceback" not in (tmp_path / "twistd.log").read_bytes()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
