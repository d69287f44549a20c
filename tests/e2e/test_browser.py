"""Account pages in Debian's Chromium (Playwright) against a real ``twistd iclicker``."""

import re
import time

from browsing import check_accessible, shot
from support import PASSWORD


def test_register_logout_and_login_with_remember_me(site, browser):
    """A person registers through the page, logs out, logs back in remembered, sees home."""
    base = site.base
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/")
    assert page.url.startswith(base + "/login?next=")
    check_accessible(page, "login")
    page.click("text=Create an account")
    check_accessible(page, "register")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=display_name]", "Ada Lovelace")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#greeting")
    assert page.inner_text("#greeting") == "Hello, Ada Lovelace"
    check_accessible(page, "home")
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
    """Errors are readable pages: the form's error takes the focus, error pages know you."""
    base = site.base
    page = browser.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "whatever1")
    page.click("button[type=submit]")
    assert page.inner_text(".alert") == "Wrong username or password."
    focused = page.evaluate(
        "() => [document.activeElement.name,"
        " document.activeElement.getAttribute('aria-describedby')]"
    )
    assert focused == ["password", "form-error"], "the password field, tied to the error"
    assert page.input_value("input[name=username]") == "nobody"
    check_accessible(page, "login with an error")

    page.goto(base + "/register")
    page.fill("input[name=username]", "x")
    page.evaluate("() => document.querySelector('input[name=username]').removeAttribute('pattern')")
    page.fill("input[name=password]", "long enough")
    page.click("button[type=submit]")
    assert page.evaluate("() => document.activeElement.name") == "username"
    check_accessible(page, "register with an error")

    page.goto(base + "/no/such/page")
    assert "Page not found" in page.inner_text("main")
    check_accessible(page, "404 page")
    response = page.request.post(
        base + "/api/register", data={"username": "ada", "password": PASSWORD}
    )
    assert response.status == 201
    page.goto(base + "/no/such/page")
    assert page.is_visible("#logout") and not page.is_visible("text=Register"), "signed in"
    page.close()
