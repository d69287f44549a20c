"""Real pages in Debian's Chromium (Playwright) against a real ``twistd iclicker`` process."""

import os
import re
import time

import pytest
from playwright.sync_api import sync_playwright
from support import PASSWORD, TwistdProcess, artifact_dir, make_account

CHROMIUM = os.environ.get("ICLICKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


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
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the README's test command installs it"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(artifact_dir(), f"{name}.png"), full_page=True)


def test_register_logout_and_login_with_remember_me(site, browser):
    """A person registers through the page, logs out, logs back in remembered, sees home."""
    base = site.base
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/")
    assert page.url.startswith(base + "/login?next=")
    page.click("text=Create an account")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=display_name]", "Ada Lovelace")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#greeting")
    assert page.inner_text("#greeting") == "Hello, Ada Lovelace"
    session = [c for c in context.cookies() if c["name"] == "iclicker_session"][0]
    assert session["expires"] == -1 and session["httpOnly"], "a browser-session cookie"

    page.click("#logout")
    page.wait_for_url(re.compile(r".*/login$"))
    assert not [c for c in context.cookies() if c["name"] == "iclicker_session" and c["value"]]

    page.fill("input[name=username]", "ADA")
    page.fill("input[name=password]", PASSWORD)
    page.check("input[name=remember]")
    page.click("button[type=submit]")
    page.wait_for_selector("#greeting")
    session = [c for c in context.cookies() if c["name"] == "iclicker_session"][0]
    assert session["expires"] > time.time() + 29 * 24 * 3600, "remember me lasts 30 days"
    shot(page, "home")
    context.close()


def test_wrong_password_and_missing_page_are_friendly(site, browser):
    """Errors are pages a person can read, not tracebacks."""
    base = site.base
    page = browser.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "whatever1")
    page.click("button[type=submit]")
    assert page.inner_text(".alert") == "Wrong username or password."
    page.goto(base + "/no/such/page")
    assert "Page not found" in page.inner_text("main")
    page.close()


def bar_counts(page) -> dict[str, int]:
    return page.eval_on_selector_all(
        "#chart rect.bar",
        "bars => Object.fromEntries(bars.map(b => [b.dataset.choice, +b.dataset.count]))",
    )


def bar_heights(page) -> dict[str, float]:
    return page.eval_on_selector_all(
        "#chart rect.bar",
        "bars => Object.fromEntries(bars.map(b => [b.dataset.choice, +b.getAttribute('height')]))",
    )


def ask(page, text: str, choices: list[str], correct: str) -> None:
    page.fill("#question-text", text)
    inputs = page.query_selector_all("#choices .choice-text")
    for field, choice in zip(inputs, choices):
        field.fill(choice)
    for item in page.query_selector_all("#choices li")[len(choices) :]:
        item.query_selector(".remove").click()
    page.query_selector_all("#choices li")[choices.index(correct)].query_selector(
        "input[type=radio]"
    ).check()
    page.click("#ask")


def run_round(teacher, students, text, choices, correct, picks) -> None:
    ask(teacher, text, choices, correct)
    teacher.wait_for_selector("#current:not([hidden])")
    for page, pick in zip(students, picks):
        page.wait_for_function(
            "t => document.getElementById('question-text').textContent === t", arg=text
        )
        page.click(f"#choices button[data-choice='{pick}']")
    for page, pick in zip(students, picks):
        page.wait_for_selector(f"#choices button.recorded[data-choice='{pick}']")
        assert f'Your answer "{pick}" is recorded.' == page.inner_text("#answer-status")
    expected = {choice: picks.count(choice) for choice in choices}
    teacher.wait_for_function(
        "expected => [...document.querySelectorAll('#chart rect.bar')].every("
        "b => +b.dataset.count === expected[b.dataset.choice])",
        arg=expected,
    )
    heights = bar_heights(teacher)
    top = max(expected.values())
    for choice, count in expected.items():
        assert heights[choice] == pytest.approx(
            heights[max(expected, key=expected.get)] * count / top, abs=1
        )
    assert teacher.inner_text("#answered") == str(len(picks))
    teacher.click("#close-question")
    for page in students:
        page.wait_for_selector("#result:not([hidden])")
        assert f'The answer was "{correct}"' in page.inner_text("#answer-status")
        assert page.get_attribute(
            f"#choices button[data-choice='{correct}']", "class"
        ) and "correct" in page.get_attribute(f"#choices button[data-choice='{correct}']", "class")
    teacher.click("#reveal")
    teacher.wait_for_selector(f"#chart rect.bar.correct[data-choice='{correct}']")


def start_lecture_page(browser, site) -> tuple:
    """An instructor's live page for a new lecture; returns (page, join code)."""
    make_account(site.db_path, "prof", "instructor")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    teacher = context.new_page()
    teacher.goto(site.base + "/login?next=/lectures")
    teacher.fill("input[name=username]", "prof")
    teacher.fill("input[name=password]", PASSWORD)
    teacher.click("button[type=submit]")
    teacher.fill("input[name=title]", "Physics 101")
    teacher.click("#start-lecture")
    teacher.wait_for_selector("#join-code")
    join_code = teacher.inner_text("#join-code").strip()
    teacher.wait_for_selector("#connection[data-state=online]")
    return teacher, join_code


def student_page(browser, site, username: str, join_code: str):
    """A phone-sized student page, registered and joined."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    response = context.request.post(
        site.base + "/api/register", data={"username": username, "password": PASSWORD}
    )
    assert response.status == 201
    page = context.new_page()
    page.goto(site.base + "/join")
    page.fill("input[name=code]", join_code.lower())
    page.click("#join")
    page.wait_for_selector("#connection[data-state=online]")
    return page


def test_instructor_and_three_students_run_two_rounds(site, browser):
    """Two rounds: questions appear, answers are recorded, the chart is right, the end clears."""
    teacher, join_code = start_lecture_page(browser, site)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", join_code)
    students = [student_page(browser, site, f"student{i}", join_code) for i in range(3)]
    teacher.wait_for_function("() => document.getElementById('present').textContent === '3'")

    run_round(teacher, students, "Which is a prime?", ["4", "7", "9"], "7", ["7", "7", "4"])
    shot(teacher, "instructor-round-1")
    for i, page in enumerate(students):
        shot(page, f"student{i}-round-1")
    run_round(
        teacher,
        students,
        "Speed of light?",
        ["3e8 m/s", "340 m/s"],
        "3e8 m/s",
        ["3e8 m/s", "340 m/s", "3e8 m/s"],
    )
    shot(teacher, "instructor-round-2")

    teacher.click("#end-lecture")
    teacher.click("#end-lecture")
    for i, page in enumerate(students):
        page.wait_for_selector("#ended:not([hidden])")
        assert page.query_selector_all("#choices button") == []
        assert page.get_attribute("#connection", "data-state") == "ended"
        shot(page, f"student{i}-ended")
    teacher.wait_for_selector("#live", state="hidden")
    teacher.wait_for_function("() => document.querySelectorAll('#results li').length === 2")
    shot(teacher, "instructor-ended")


def test_student_page_shows_reconnecting_and_resumes_after_kill_9(site, browser):
    """The server dies mid-question; the page says so, reconnects, and the answer is still there."""
    teacher, join_code = start_lecture_page(browser, site)
    page = student_page(browser, site, "student0", join_code)
    ask(teacher, "Still there?", ["yes", "no"], "yes")
    page.wait_for_selector("#choices button[data-choice='yes']")
    page.click("#choices button[data-choice='yes']")
    page.wait_for_selector("#choices button.recorded[data-choice='yes']")

    site.kill()
    page.wait_for_selector("#connection[data-state=offline]")
    assert page.inner_text("#connection") == "reconnecting…"
    shot(page, "student-reconnecting")
    site.start()
    page.wait_for_selector("#connection[data-state=online]", timeout=30_000)
    page.wait_for_selector("#choices button.recorded[data-choice='yes']")
    assert page.inner_text("#question-text") == "Still there?"
    teacher.wait_for_selector("#connection[data-state=online]", timeout=30_000)
    teacher.click("#close-question")
    page.wait_for_selector("#result:not([hidden])")
