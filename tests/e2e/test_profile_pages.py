"""Profile and admin pages in Chromium: a photo becomes the avatar; disabling logs a user out;
an admin deletes a chat room."""

import io

from browsing import LAPTOP, PHONE, check_accessible, registered_page, shot
from PIL import Image
from support import make_account
from test_lecture_pages import log_in, start_lecture_page, student_page


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), "darkorange").save(out, format="PNG")
    return out.getvalue()


def test_a_photo_uploaded_on_the_profile_page_becomes_the_avatar(site, browser):
    page = registered_page(browser, site.base, "ada", viewport=LAPTOP)
    page.goto(site.base + "/profile")
    assert page.is_visible(".topbar .avatar.initials")
    check_accessible(page, "profile, no photo")
    page.set_input_files(
        "#photo-file", {"name": "me.png", "mimeType": "image/png", "buffer": photo_bytes()}
    )
    page.wait_for_selector("#preview:not([hidden])")
    page.click("#photo-form button[type=submit]")
    page.wait_for_selector(".topbar img.avatar")
    src = page.get_attribute(".topbar img.avatar", "src")
    assert src.startswith("/photos/") and src.endswith(".png")
    assert page.evaluate("() => document.querySelector('#current-photo').naturalWidth") == 256
    check_accessible(page, "profile, with photo")
    shot(page, "profile-with-photo")
    page.set_input_files(
        "#photo-file", {"name": "evil.png", "mimeType": "image/png", "buffer": b"<?php ?>"}
    )
    page.click("#photo-form button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('photo-status').textContent.includes('not a JPEG')"
    )
    assert page.evaluate("() => document.activeElement.id") == "photo-file"
    assert page.get_attribute(".topbar img.avatar", "src") == src, "the old photo stays"


def test_an_admin_disables_a_user_whose_open_page_is_logged_out(site, browser):
    teacher, join_code, _ = start_lecture_page(browser, site)
    phone = student_page(browser, site, "student0", join_code, viewport=PHONE)
    make_account(site.db_path, "root", "admin")
    admin = log_in(browser.new_context(viewport=LAPTOP), site, "root")
    room = phone.request.post(site.base + "/api/rooms", data={"name": "Back row"})
    assert room.status == 201
    admin.goto(site.base + "/admin")
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.click("#rooms button:has-text('Delete Back row')")
    admin.wait_for_selector("#rooms-status:has-text('Back row deleted')")
    assert admin.locator("#rooms tbody tr").count() == 0
    admin.fill("#search input[name=q]", "stud")
    admin.click("#search button[type=submit]")
    admin.wait_for_selector("#users tr[data-username=student0]")
    check_accessible(admin, "admin page")
    admin.click("text=Disable student0")
    admin.wait_for_selector("text=Enable student0")
    phone.wait_for_url(site.base + "/login*")
    assert phone.is_visible("input[name=username]")
    shot(admin, "admin-page")
    assert teacher.get_attribute("#connection", "data-state") == "online"
