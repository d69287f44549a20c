"""Course pages in Chromium: spreadsheets uploaded through the page, a bank question asked,
and the student's own record afterwards."""

from browsing import LAPTOP, check_accessible, registered_page, shot
from support import make_account
from test_lecture_pages import log_in

BAD_ROSTER = b"username,display_name\nstudent0,Ada\nnot valid!,Bob\nstudent1,Cy\nx,Too short\n"
GOOD_ROSTER = b"Username;Display_Name\r\nstudent0;Ada\r\nstudent1;Cy\r\nlatecomer;Pending Pat\r\n"
BANK = b"text,choice_a,choice_b,choice_c,correct\nWhich is a noble gas?,Neon,Iron,Salt,a\n"


def upload(page, kind: str, content: bytes) -> None:
    page.set_input_files(
        f"form[data-kind={kind}] input[type=file]",
        {"name": f"{kind}.csv", "mimeType": "text/csv", "buffer": content},
    )
    page.click(f"form[data-kind={kind}] button[type=submit]")


def test_instructor_uploads_spreadsheets_asks_from_the_bank_and_the_student_sees_it(site, browser):
    """Bad lines are listed (and focused), good files import, a bank question reaches a phone."""
    make_account(site.db_path, "prof", "instructor")
    teacher = log_in(browser.new_context(viewport=LAPTOP), site, "prof")
    teacher.goto(site.base + "/courses")
    check_accessible(teacher, "courses, instructor")
    teacher.fill("input[name=name]", "Chemistry 101")
    teacher.click("#create-course")
    teacher.wait_for_selector("#course-title")
    check_accessible(teacher, "course page, empty")

    upload(teacher, "roster", BAD_ROSTER)
    teacher.wait_for_selector("#roster-errors .alert")
    errors = teacher.inner_text("#roster-errors")
    assert "Line 3:" in errors and "Line 5:" in errors and "nothing was imported" in errors
    assert teacher.evaluate("() => document.activeElement.id") == "roster-errors"
    check_accessible(teacher, "course page, upload errors")
    shot(teacher, "course-roster-errors")

    upload(teacher, "roster", GOOD_ROSTER)
    teacher.wait_for_selector("#roster")
    assert "pending" in teacher.inner_text("#roster tr:has-text('latecomer')")
    upload(teacher, "questions", BANK)
    teacher.wait_for_selector("#bank li")
    check_accessible(teacher, "course page, roster and bank")
    shot(teacher, "course-page")

    phone = registered_page(browser, site.base, "student0")

    teacher.fill("input[name=title]", "Week 1")
    teacher.click("#start-course-lecture")
    teacher.wait_for_selector("#connection[data-state=online]")
    join_code = teacher.inner_text("#join-code").strip()
    phone.goto(site.base + f"/join/{join_code}")
    phone.wait_for_selector("#connection[data-state=online]")
    teacher.wait_for_selector("#bank-section:not([hidden])")
    teacher.click("#bank button")
    phone.wait_for_function(
        "() => document.getElementById('question-text').textContent === 'Which is a noble gas?'"
    )
    phone.click("#choices button[data-choice='Neon']")
    phone.wait_for_selector("#choices button.recorded[data-choice='Neon']")
    teacher.click("#close-question")
    phone.wait_for_selector("#result:not([hidden])")

    teacher.goto(teacher.url.split("/lectures")[0] + "/courses")
    teacher.click("text=Chemistry 101")
    teacher.wait_for_selector("#roster")
    assert teacher.inner_text("#roster tr:has-text('student0')").split("\t")[-3:] == ["1", "1", "1"]
    assert "1 attended" in teacher.inner_text("main")

    teacher.fill("input[name=name]", "Chemistry 101 (spring)")
    teacher.click("#save-course")
    teacher.wait_for_selector("text=Chemistry 101 (spring)")
    teacher.goto(site.base + "/")
    assert "Chemistry 101 (spring)" in teacher.inner_text("#your-courses + ul")
    check_accessible(teacher, "home, instructor with a course")

    phone.goto(site.base + "/")
    check_accessible(phone, "home, student with a course")
    phone.click("text=Chemistry 101")
    phone.wait_for_selector("#record-title")
    record = phone.inner_text("main")
    assert "You attended 1 of 1 lectures." in record
    assert "Which is a noble gas?" in record and "✓ right" in record
    broken = phone.evaluate(
        """() => [...document.querySelectorAll('main table th, main table td')].filter(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return lines.size > cell.textContent.trim().split(/\\s+/).length;
        }).map(cell => cell.textContent)"""
    )
    assert broken == [], "no word is split across lines on a phone"
    check_accessible(phone, "student record")
    shot(phone, "student-record-390")
