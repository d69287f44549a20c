"""The lecture hall in Chromium: instructor (laptop), projector (1920x1080), students (phones).

Every state is checked with axe-core (WCAG 2.0/2.1 A and AA) and kept as a
screenshot in test-artifacts/.
"""

import re

from browsing import (
    LAPTOP,
    PHONE,
    PROJECTOR,
    SMALL_PHONE,
    assert_no_overlap,
    boxes,
    check_accessible,
    no_horizontal_scroll,
    overlapping,
    press,
    registered_page,
    shot,
    tab_to,
)
from support import PASSWORD, make_account

LONG_CHOICES = [
    "9.8 m/s² upwards",
    "It depends on the mass of the falling object and on the air around it",
    "9.8 m/s² downwards",
    "Zero, because it is weightless at the top of its flight",
]


def log_in(context, site, username: str):
    page = context.new_page()
    page.goto(site.base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#greeting")
    return page


def start_lecture_page(browser, site, title: str = "Physics 101") -> tuple:
    """An instructor's live page for a new lecture; returns (page, join code, lecture url)."""
    make_account(site.db_path, "prof", "instructor")
    context = browser.new_context(viewport=LAPTOP)
    teacher = log_in(context, site, "prof")
    teacher.goto(site.base + "/lectures")
    check_accessible(teacher, "lectures dashboard")
    teacher.fill("input[name=title]", title)
    teacher.click("#start-lecture")
    teacher.wait_for_selector("#join-code")
    teacher.wait_for_selector("#connection[data-state=online]")
    return teacher, teacher.inner_text("#join-code").strip(), teacher.url


def projector_page(browser, teacher, viewport=PROJECTOR, contrast: str = ""):
    """The projector view, opened from the instructor page as an instructor would."""
    context = browser.new_context(viewport=viewport, storage_state=teacher.context.storage_state())
    page = context.new_page()
    page.goto(teacher.url + "/projector" + contrast)
    page.wait_for_selector("#connection[data-state=online]")
    return page


def student_page(browser, site, username: str, join_code: str, viewport=PHONE, **options):
    """A phone-sized student page, registered and joined."""
    page = registered_page(
        browser, site.base, username, viewport, is_mobile=True, has_touch=True, **options
    )
    page.goto(site.base + "/join")
    page.fill("input[name=code]", join_code.lower())
    page.click("#join")
    page.wait_for_selector("#connection[data-state=online]")
    return page


def ask(page, text: str, choices: list[str], correct: str | None) -> None:
    page.fill("#question-text", text)
    while len(page.query_selector_all("#choices li")) < len(choices):
        page.click("#add-choice")
    inputs = page.query_selector_all("#choices .choice-text")
    for field, choice in zip(inputs, choices):
        field.fill(choice)
    for item in page.query_selector_all("#choices li")[len(choices) :]:
        item.query_selector(".remove").click()
    if correct is not None:
        page.query_selector_all("#choices li")[choices.index(correct)].query_selector(
            "input[type=radio]"
        ).check()
    page.click("#ask")


def chart_counts(page, chart: str = "#chart") -> dict[str, int]:
    return page.eval_on_selector_all(
        f"{chart} tr[data-choice]",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.choice, +r.dataset.count]))",
    )


def announced(page, text: str) -> None:
    page.wait_for_function(
        "t => document.getElementById('announcer').textContent.includes(t)", arg=text
    )


def shows_correct(page) -> bool:
    """Does the page show a correct answer anywhere (marker, badge or text)?"""
    return page.evaluate(
        "() => document.querySelectorAll('.correct, tr.correct').length > 0"
        " || document.body.innerText.includes('✓')"
    )


def test_a_lecture_round_on_projector_instructor_and_phones(site, browser):
    """Ask, answer, close, reveal: each screen shows what it should, and nothing it should not."""
    teacher, join_code, _ = start_lecture_page(browser, site)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", join_code)
    check_accessible(teacher, "instructor, empty")
    projector = projector_page(browser, teacher)
    assert projector.is_visible("#waiting #join-code")
    assert projector.query_selector("#logout") is None, "no controls on the projector"
    assert projector.query_selector("button") is None
    check_accessible(projector, "projector, waiting")
    shot(projector, "projector-waiting")
    students = [student_page(browser, site, f"student{i}", join_code) for i in range(3)]
    check_accessible(students[0], "student, waiting")
    teacher.wait_for_function("() => document.getElementById('present').textContent === '3'")

    ask(
        teacher,
        "A ball is thrown straight up. Its acceleration at the top?",
        LONG_CHOICES,
        LONG_CHOICES[2],
    )
    for page in students:
        page.wait_for_selector("#question:not([hidden])")
        announced(page, "New question: A ball is thrown")
    projector.wait_for_selector("#question:not([hidden])")
    assert projector.is_visible("#join-corner") and not projector.is_visible("#waiting")
    assert not shows_correct(projector), "the projector must not leak the answer"
    check_accessible(projector, "projector, question open")
    check_accessible(teacher, "instructor, question open")
    check_accessible(students[0], "student, question open")

    picks = [LONG_CHOICES[2], LONG_CHOICES[2], LONG_CHOICES[0]]
    for page, pick in zip(students, picks):
        page.click(f"#choices button[data-choice='{pick}']")
    for page, pick in zip(students, picks):
        page.wait_for_selector(f"#choices button.recorded[data-choice='{pick}']")
        announced(page, f'Your answer "{pick}" is recorded.')
        button = f"#choices button[data-choice='{pick}']"
        text, badge = boxes(page, f"{button} .choice-text")[0], boxes(page, f"{button} .badge")[0]
        assert badge["text"] == "✓ recorded" and not overlapping(text, badge)
    check_accessible(students[0], "student, recorded")
    shot(students[0], "student-recorded-390")
    projector.wait_for_function("() => document.getElementById('answered').textContent === '3'")
    expected = {choice: picks.count(choice) for choice in LONG_CHOICES}
    teacher.wait_for_function(
        "e => [...document.querySelectorAll('#chart tr[data-choice]')].every("
        "r => +r.dataset.count === e[r.dataset.choice])",
        arg=expected,
    )
    assert not shows_correct(teacher), "no tick before the reveal, on the instructor page either"
    assert "open: answers on the live chart" in teacher.inner_text("#results")
    shot(projector, "projector-question")

    teacher.click("#close-question")
    projector.wait_for_selector("#chart:not([hidden])")
    assert chart_counts(projector) == expected
    assert not shows_correct(projector), "closed is not revealed"
    assert_no_overlap(projector, "#chart th")
    bar = boxes(projector, "#chart tr[data-choice] .bar")[0]
    assert bar["h"] >= 0.04 * PROJECTOR["height"], "bars readable from the back row"
    widths = {b["text"]: b["w"] for b in boxes(projector, "#chart tr[data-choice]")}
    assert min(widths.values()) > 0.8 * PROJECTOR["width"] * 0.9, "the chart fills the width"
    check_accessible(projector, "projector, results")
    shot(projector, "projector-results")

    right, wrong = students[0], students[2]
    right.wait_for_selector("#result:not([hidden])")
    assert right.inner_text("#verdict").startswith("✓ Right!")
    announced(right, "Right!")
    wrong.wait_for_selector("#result:not([hidden])")
    verdict = wrong.inner_text("#verdict")
    assert f'Your answer: "{LONG_CHOICES[0]}"' in verdict and LONG_CHOICES[2] in verdict
    opacity = wrong.eval_on_selector(
        f"#choices button[data-choice='{LONG_CHOICES[2]}']", "b => getComputedStyle(b).opacity"
    )
    assert opacity == "1", "the correct answer is legible at full contrast"
    assert_no_overlap(wrong, "#result-chart th")
    label_size = wrong.eval_on_selector(
        "#result-chart th", "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert label_size >= 16
    check_accessible(wrong, "student, results")
    shot(wrong, "student-result-390")
    check_accessible(teacher, "instructor, results")

    teacher.click("#reveal")
    projector.wait_for_selector(f"#chart tr.correct[data-choice='{LONG_CHOICES[2]}']")
    assert "✓ correct" in projector.inner_text("#chart tr.correct th")
    assert LONG_CHOICES[2] in projector.inner_text("#answer-line")
    check_accessible(projector, "projector, answer revealed")
    shot(projector, "projector-revealed")
    teacher.wait_for_function("() => document.getElementById('results').textContent.includes('✓')")

    projector.reload()
    projector.wait_for_selector(f"#chart tr.correct[data-choice='{LONG_CHOICES[2]}']")

    teacher.click("#end-lecture")
    teacher.click("#end-lecture")
    for page in students:
        page.wait_for_selector("#ended:not([hidden])")
        announced(page, "The lecture has ended.")
    projector.wait_for_selector("#ended:not([hidden])")
    check_accessible(students[0], "student, ended")
    check_accessible(projector, "projector, ended")
    teacher.wait_for_selector("#live", state="hidden")
    check_accessible(teacher, "instructor, ended")


def test_small_phones_zoom_dark_scheme_and_reduced_motion(site, browser):
    """320 px and 200 % zoom hold; the dark scheme is applied and passes; motion can stop."""
    teacher, join_code, _ = start_lecture_page(browser, site)
    small = student_page(browser, site, "tiny", join_code, viewport=SMALL_PHONE)
    dark = student_page(
        browser, site, "owl", join_code, color_scheme="dark", reduced_motion="reduce"
    )
    zoomed = student_page(browser, site, "zoom", join_code, viewport={"width": 640, "height": 450})
    logout = small.eval_on_selector("#logout", "b => b.getClientRects().length")
    assert logout == 1 and boxes(small, "#logout")[0]["h"] < 40, "'Log out' on one line"
    ask(teacher, "Which is a prime?", ["4", "7", "9"], "7")
    for page in (small, dark, zoomed):
        page.wait_for_selector("#question:not([hidden])")
        page.click("#choices button[data-choice='4']")
        page.wait_for_selector("#choices button.recorded[data-choice='4']")
    teacher.click("#close-question")
    for page in (small, dark, zoomed):
        page.wait_for_selector("#result:not([hidden])")
        assert no_horizontal_scroll(page)
    background = dark.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(16, 20, 28)", "the dark scheme is applied"
    transition = dark.eval_on_selector(
        "#result-chart .bar", "b => getComputedStyle(b).transitionDuration"
    )
    assert transition == "0s", "no animation when the student asks for reduced motion"
    check_accessible(small, "student result, 320 px")
    check_accessible(dark, "student result, dark scheme")
    check_accessible(zoomed, "student result, 200 % zoom")
    shot(small, "student-result-320")
    shot(dark, "student-result-dark")
    teacher_zoomed = teacher.context.new_page()
    teacher_zoomed.set_viewport_size({"width": 640, "height": 450})
    teacher_zoomed.goto(teacher.url)
    teacher_zoomed.wait_for_selector("#connection[data-state=online]")
    assert no_horizontal_scroll(teacher_zoomed)
    check_accessible(teacher_zoomed, "instructor, 200 % zoom")

    contrast = projector_page(browser, teacher, contrast="?contrast=high")
    assert "high-contrast" in contrast.get_attribute("body", "class")
    contrast.wait_for_selector("#chart:not([hidden])")
    assert (
        contrast.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    )
    check_accessible(contrast, "projector, high contrast")
    shot(contrast, "projector-high-contrast")
    dark_projector = projector_page(browser, teacher)
    dark_projector.emulate_media(color_scheme="dark")
    check_accessible(dark_projector, "projector, dark scheme")
    shot(dark_projector, "projector-dark")


def test_a_keyboard_only_lecture_round(site, browser):
    """The instructor asks, closes and reveals, and a student answers, with the keyboard alone."""
    teacher, join_code, _ = start_lecture_page(browser, site)
    student = student_page(browser, site, "keys", join_code)
    teacher.reload()
    teacher.wait_for_selector("#connection[data-state=online]")
    tab_to(teacher, "#question-text")
    teacher.keyboard.type("Best sorting algorithm for nearly sorted data?")
    for number, choice in enumerate(["Insertion sort", "Quicksort"], start=1):
        tab_to(teacher, f"#choices li:nth-child({number}) .choice-text")
        teacher.keyboard.type(choice)
    press(teacher, "#choices li:nth-child(1) input[type=radio]", "Space")
    for _ in range(2):
        press(teacher, "#choices li:nth-child(3) .remove")
    press(teacher, "#ask")

    student.wait_for_selector("#question:not([hidden])")
    press(student, "#choices button[data-choice='Insertion sort']")
    student.wait_for_selector("#choices button.recorded[data-choice='Insertion sort']")
    assert (
        student.get_attribute("#choices button[data-choice='Insertion sort']", "aria-pressed")
        == "true"
    )

    press(teacher, "#close-question")
    teacher.wait_for_selector("#reveal:not([hidden])")
    press(teacher, "#reveal")
    teacher.wait_for_function("() => document.getElementById('results').textContent.includes('✓')")
    student.wait_for_selector("#result:not([hidden])")
    assert student.inner_text("#verdict").startswith("✓ Right!")
    press(teacher, "#end-lecture")
    teacher.keyboard.press("Enter")
    student.wait_for_selector("#ended:not([hidden])")


def test_compose_errors_take_the_focus_and_ended_codes_say_so(site, browser):
    """A refused question focuses its field; an ended lecture's code says it has ended."""
    teacher, join_code, _ = start_lecture_page(browser, site, title="Chemistry")
    ask(teacher, "Same?", ["a", "A"], None)
    teacher.wait_for_selector("#compose-error:not([hidden])")
    assert teacher.evaluate("() => document.activeElement.id") == "question-text"
    assert teacher.get_attribute("#question-text", "aria-invalid") == "true"
    check_accessible(teacher, "instructor, compose error")
    teacher.click("#end-lecture")
    teacher.click("#end-lecture")
    teacher.wait_for_selector("#live", state="hidden")
    late = registered_page(browser, site.base, "late")
    response = late.goto(site.base + f"/join/{join_code}")
    assert response.status == 410
    assert "This lecture has ended" in late.inner_text("h1")
    assert "“Chemistry” has ended" in late.inner_text("main")
    check_accessible(late, "ended lecture code")


def test_student_page_shows_reconnecting_and_resumes_after_kill_9(site, browser):
    """The server dies mid-question; the page says so aloud, reconnects, the answer is kept."""
    teacher, join_code, _ = start_lecture_page(browser, site)
    page = student_page(browser, site, "student0", join_code)
    ask(teacher, "Still there?", ["yes", "no"], "yes")
    page.wait_for_selector("#choices button[data-choice='yes']")
    page.click("#choices button[data-choice='yes']")
    page.wait_for_selector("#choices button.recorded[data-choice='yes']")

    site.kill()
    page.wait_for_selector("#connection[data-state=offline]")
    assert page.inner_text("#connection") == "reconnecting…"
    announced(page, "Connection lost. Reconnecting…")
    check_accessible(page, "student, reconnecting")
    shot(page, "student-reconnecting")
    site.start()
    page.wait_for_selector("#connection[data-state=online]", timeout=30_000)
    announced(page, "Connected again.")
    page.wait_for_selector("#choices button.recorded[data-choice='yes']")
    assert page.inner_text("#question-text") == "Still there?"
    teacher.wait_for_selector("#connection[data-state=online]", timeout=30_000)
    teacher.click("#close-question")
    page.wait_for_selector("#result:not([hidden])")
    assert page.inner_text("#verdict").startswith("✓ Right!")
