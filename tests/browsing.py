"""Helpers for the browser tests: Chromium, screenshots, the axe check, keyboard moves."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from support import PASSWORD, artifact_dir

CHROMIUM = os.environ.get("ICLICKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PROJECTOR = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}

_axe = Axe()
checked_states: list[str] = []
"""Every page state the axe check passed in this run (for the accessibility notes)."""


def launch(playwright):
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the README's test command installs it"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def registered_page(browser, base: str, username: str, viewport=PHONE, **options):
    """A new browser (phone-sized unless told) whose user has just registered: its first tab."""
    if viewport is PHONE:
        options.setdefault("is_mobile", True)
        options.setdefault("has_touch", True)
    context = browser.new_context(viewport=viewport, **options)
    response = context.request.post(
        base + "/api/register", data={"username": username, "password": PASSWORD}
    )
    assert response.status == 201
    return context.new_page()


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(artifact_dir(), f"{name}.png"), full_page=True)


def check_accessible(page, state: str) -> None:
    """axe-core (shipped by axe-playwright-python, no CDN) finds no WCAG 2.0/2.1 A or AA issue."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, f"{state}:\n{results.generate_report()}"
    checked_states.append(state)


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab (as a keyboard user does) until ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def press(page, selector: str, key: str = "Enter") -> None:
    """Reach ``selector`` with Tab and press ``key`` on it: no mouse involved."""
    tab_to(page, selector)
    page.keyboard.press(key)


def boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector,
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, w: r.width, h: r.height, text: e.textContent}; })",
    )


def overlapping(first: dict, second: dict) -> bool:
    return (
        first["x"] < second["x"] + second["w"]
        and second["x"] < first["x"] + first["w"]
        and first["y"] < second["y"] + second["h"]
        and second["y"] < first["y"] + first["h"]
    )


def assert_no_overlap(page, selector: str) -> None:
    found = boxes(page, selector)
    assert len(found) >= 2, selector
    for i, first in enumerate(found):
        for second in found[i + 1 :]:
            assert not overlapping(first, second), (first, second)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
