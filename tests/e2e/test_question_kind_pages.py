"""Every question kind in Chromium: an instructor composes it with a timer, three phone-sized
students answer with the kind's own input, and the projector draws its chart (bars,
histogram, word cloud). Each state passes axe-core; the projector charts are kept as
screenshots in test-artifacts/."""

from browsing import check_accessible, shot
from test_lecture_pages import projector_page, start_lecture_page, student_page


def compose(teacher, text: str, kind: str, timer: str = "60", custom: str = "") -> None:
    teacher.select_option("#kind", kind)
    teacher.fill("#question-text", text)
    teacher.select_option("#timer", timer)
    if custom:
        teacher.fill("#custom-timer", custom)


def fill_choices(teacher, choices: list[str], correct: list[str]) -> None:
    while len(teacher.query_selector_all("#choices li")) < len(choices):
        teacher.click("#add-choice")
    items = teacher.query_selector_all("#choices li")
    for item, choice in zip(items, choices, strict=False):
        item.query_selector(".choice-text").fill(choice)
        if choice in correct:
            item.query_selector("input[name=correct]").check()
    for item in items[len(choices) :]:
        item.query_selector(".remove").click()


def recorded(page) -> None:
    page.wait_for_function(
        "() => document.getElementById('answer-status').textContent.includes('is recorded')"
    )


def close_and_wait(teacher, pages) -> None:
    teacher.click("#close-question")
    for page in pages:
        page.wait_for_selector("#result:not([hidden])")


def test_each_kind_with_a_timer_on_every_screen(site, browser):
    teacher, join_code, _ = start_lecture_page(browser, site)
    projector = projector_page(browser, teacher)
    students = [student_page(browser, site, f"kid{i}", join_code) for i in range(3)]
    teacher.wait_for_function("() => document.getElementById('present').textContent === '3'")

    # single, with a preset timer, closed early
    compose(teacher, "Which planet is largest?", "single")
    fill_choices(teacher, ["Mars", "Jupiter", "Venus"], ["Jupiter"])
    teacher.click("#ask")
    for page, pick in zip(students, ["Jupiter", "Jupiter", "Mars"], strict=True):
        page.wait_for_selector("#countdown:not([hidden])")
        # Only the buttons: no other kind's inputs, no confidence it did not ask for.
        for other in ("#answer-form", "#multiple-choices", "#confidence", "#anonymous-note"):
            assert page.is_hidden(other), other
        assert "left" in page.inner_text("#countdown")
        page.click(f"#choices button[data-choice='{pick}']")
        recorded(page)
    teacher.wait_for_selector("#countdown:not([hidden])")
    check_accessible(students[0], "student, timed single question")
    close_and_wait(teacher, students)
    projector.wait_for_selector("#chart:not([hidden])")
    shot(projector, "projector-single")

    # multiple: checkboxes and a send button on the phones
    compose(teacher, "Which are prime?", "multiple")
    fill_choices(teacher, ["2", "4", "5", "9"], ["2", "5"])
    check_accessible(teacher, "instructor, composing a multiple question")
    teacher.click("#ask")
    picks = [["2", "5"], ["2"], ["4", "5", "9"]]
    for page, chosen in zip(students, picks, strict=True):
        page.wait_for_selector("#multiple-choices:not([hidden])")
        for choice in chosen:
            page.check(f"#multiple-choices input[value='{choice}']")
        page.click("#send-answer")
        recorded(page)
    check_accessible(students[0], "student, multiple question answered")
    shot(students[0], "student-multiple-390")
    close_and_wait(teacher, students)
    assert students[0].inner_text("#verdict").startswith("✓ Right!")
    assert students[1].inner_text("#verdict").startswith("✗ Not quite")
    projector.wait_for_function(
        "() => document.querySelector('#chart tr[data-choice=\"5\"]')?.dataset.count === '2'"
    )
    check_accessible(projector, "projector, multiple results")
    shot(projector, "projector-multiple")

    # numeric: the numeric keypad, a custom timer that runs out by itself
    compose(teacher, "g in m/s²?", "numeric", timer="custom", custom="8")
    teacher.fill("#numeric-correct", "9.81")
    teacher.fill("#tolerance", "0.1")
    check_accessible(teacher, "instructor, composing a numeric question")
    teacher.click("#ask")
    for page, value in zip(students, ["9,8", "9.81", "12"], strict=True):
        page.wait_for_selector("#value-label:not([hidden])")
        assert page.get_attribute("#value", "inputmode") == "decimal"
        page.fill("#value", value)
        page.click("#send-answer")
        recorded(page)
    for page in students:
        page.wait_for_selector("#result:not([hidden])", timeout=20_000)
    projector.wait_for_selector("#figure svg.histogram")
    assert "median" in projector.get_attribute("#figure svg.histogram", "aria-label")
    assert students[0].inner_text("#verdict").startswith("✓ Right!")
    check_accessible(projector, "projector, histogram")
    assert students[2].is_hidden("#result-chart"), "no bars left from the last question"
    assert students[2].is_hidden("#multiple-choices") and students[2].is_hidden("#confidence")
    check_accessible(students[2], "student, numeric results")
    shot(students[2], "student-histogram-390")
    shot(projector, "projector-histogram")

    # text, anonymous: a live word cloud; the instructor hides an answer
    compose(teacher, "One word for today?", "text")
    teacher.check("#anonymous")
    teacher.click("#ask")
    for page, word in zip(students, ["Gravity", "gravity ", "boring"], strict=True):
        page.wait_for_selector("#anonymous-note:not([hidden])")
        page.fill("#value", word)
        page.click("#send-answer")
        recorded(page)
    projector.wait_for_function(
        "() => [...document.querySelectorAll('#figure svg.word-cloud text')]"
        ".map(t => t.textContent).join(' ') === 'gravity boring'"
    )
    teacher.wait_for_selector("#text-answers:not([hidden])")
    check_accessible(teacher, "instructor, text answers to mark")
    teacher.click("button[aria-label='Hide “boring” on the projector']")
    projector.wait_for_function(
        "() => [...document.querySelectorAll('#figure svg.word-cloud text')]"
        ".map(t => t.textContent).join(' ') === 'gravity'"
    )
    teacher.click("button[aria-label='Accept “Gravity”']")
    teacher.wait_for_selector("#text-answer-list .badge:text('✓ accepted')")
    close_and_wait(teacher, students)
    assert "anonymously" in students[0].inner_text("#verdict")
    projector.wait_for_selector("#figure svg.word-cloud")
    assert "boring" not in projector.inner_text("#figure")
    check_accessible(projector, "projector, word cloud")
    check_accessible(students[0], "student, anonymous text results")
    shot(students[0], "student-word-cloud-390")
    shot(projector, "projector-word-cloud")
