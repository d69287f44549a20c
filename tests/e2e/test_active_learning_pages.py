"""Peer instruction and Q&A in Chromium: the projector, the instructor page and three
phone-sized students run a two-round question with confidence and a Q&A exchange. The
new states pass axe-core; the projector is kept as screenshots in test-artifacts/."""

from browsing import check_accessible, press, shot, tab_to
from test_lecture_pages import ask, projector_page, start_lecture_page, student_page
from test_question_kind_pages import recorded


def test_two_rounds_and_a_question_board(site, browser):
    teacher, join_code, _ = start_lecture_page(browser, site)
    projector = projector_page(browser, teacher)
    students = [student_page(browser, site, f"peer{i}", join_code) for i in range(3)]
    teacher.wait_for_function("() => document.getElementById('present').textContent === '3'")

    teacher.check("#ask-confidence")
    ask(teacher, "Does a heavier ball fall faster?", ["Yes", "No"], "No")
    for page, pick in zip(students, ["Yes", "Yes", "No"], strict=True):
        page.wait_for_selector("#confidence:not([hidden])")
        page.check("input[name=confidence][value=high]")
        page.click(f"#choices button[data-choice='{pick}']")
        recorded(page)
    check_accessible(students[0], "student, question with confidence")
    shot(students[0], "student-confidence-390")
    teacher.click("#close-hidden")
    for page in students:
        page.wait_for_selector("#discuss:not([hidden])")
        assert page.is_hidden("#result")
    projector.wait_for_selector("#discuss:not([hidden])")
    assert projector.is_hidden("#chart") and projector.is_hidden("#rounds")
    teacher.wait_for_selector("#confidence-summary:not([hidden])")
    check_accessible(teacher, "instructor, round 1 closed without results")
    check_accessible(projector, "projector, discussing")
    shot(projector, "projector-discuss")

    teacher.click("#next-round")
    for page, pick in zip(students, ["No", "No", "No"], strict=True):
        page.wait_for_selector("#discuss", state="hidden")
        page.click(f"#choices button[data-choice='{pick}']")
        recorded(page)
    teacher.click("#close-question")
    projector.wait_for_selector("#rounds:not([hidden]) .round")
    assert len(projector.query_selector_all("#rounds .round")) == 2
    assert "2 moved to the correct answer" in projector.inner_text("#moved")
    check_accessible(projector, "projector, two rounds side by side")
    shot(projector, "projector-two-rounds")
    students[0].wait_for_selector("#result:not([hidden])")
    assert students[0].inner_text("#verdict").startswith("✓ Right!")

    # Q&A: a student asks, the others upvote, the instructor answers and projects it.
    students[0].fill("#post-text", "Why does air resistance not matter here?")
    students[0].click("#post-send")
    students[0].wait_for_function(
        "() => document.getElementById('post-status').textContent.includes('posted')"
    )
    for page in students[1:]:
        page.wait_for_selector("#qa-list li")
        page.click("#qa-list li button.vote")
        page.wait_for_selector("#qa-list li button.vote[aria-pressed=true]")
    students[0].wait_for_function(
        "() => document.querySelector('#qa-list li button.vote').textContent.includes('2')"
    )
    check_accessible(students[0], "student, question board")
    shot(students[0], "student-question-board-390")
    teacher.wait_for_selector("#qa-list li")
    assert "peer0" in teacher.inner_text("#qa-list li")  # attributed to the instructor
    teacher.check("#show-posts")
    teacher.click("#qa-list li button:text('Mark answered')")
    projector.wait_for_selector("#qa:not([hidden]) li")
    projector.wait_for_function(
        "() => document.querySelector('#qa-list li').textContent.includes('answered')"
    )
    assert "▲ 2" in projector.inner_text("#qa-list li")
    check_accessible(projector, "projector, top questions")
    check_accessible(teacher, "instructor, question board")
    shot(projector, "projector-questions")
    students[1].wait_for_selector("#qa-list li .badge")


def test_new_inputs_work_with_the_keyboard_alone(site, browser):
    """A numeric answer with confidence, a multiple answer, a post and an upvote, keys only."""
    teacher, join_code, _ = start_lecture_page(browser, site)
    asker = student_page(browser, site, "keys1", join_code)
    voter = student_page(browser, site, "keys2", join_code)
    teacher.reload()
    teacher.wait_for_selector("#connection[data-state=online]")
    tab_to(teacher, "#question-text")
    teacher.keyboard.type("How many moons has Mars?")
    tab_to(teacher, "#kind")
    teacher.keyboard.press("ArrowDown")
    teacher.keyboard.press("ArrowDown")  # "A number"
    press(teacher, "#ask-confidence", "Space")
    press(teacher, "#ask")

    asker.wait_for_selector("#value-label:not([hidden])")
    # A radio group is one Tab stop; the arrows choose within it.
    press(asker, "input[name=confidence][value=low]", "Space")
    asker.keyboard.press("ArrowRight")
    tab_to(asker, "#value")
    asker.keyboard.type("2")
    asker.keyboard.press("Enter")
    recorded(asker)
    assert asker.is_checked("input[name=confidence][value=medium]")

    tab_to(asker, "#post-text")
    asker.keyboard.type("Are they captured asteroids?")
    press(asker, "#post-send")
    voter.wait_for_selector("#qa-list li button.vote")
    press(voter, "#qa-list li button.vote")
    voter.wait_for_selector("#qa-list li button.vote[aria-pressed=true]")
    asker.wait_for_function(
        "() => document.querySelector('#qa-list li button.vote').textContent.includes('1')"
    )
