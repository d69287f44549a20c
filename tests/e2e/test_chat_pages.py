"""Chat pages in Chromium: two people in a room and in a conversation, text kept as text,
a message typed while the server is down delivered once, keys, bans, live unread badges."""

import sqlite3

from browsing import LAPTOP, PHONE, check_accessible, press, registered_page, shot

XSS = "<img src=x onerror=alert(1)>"


def message_texts(page) -> list[str]:
    return page.eval_on_selector_all(
        "#messages li[data-id] .message-text", "items => items.map(item => item.textContent)"
    )


def wait_for_text(page, text: str) -> None:
    page.wait_for_function(
        """text => [...document.querySelectorAll('#messages li[data-id] .message-text')]
              .some(item => item.textContent === text)""",
        arg=text,
    )


def send(page, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def test_two_people_chat_in_a_room_and_nothing_typed_is_lost(site, browser):
    alice = registered_page(browser, site.base, "alice", viewport=LAPTOP)
    dialogs = []
    alice.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    alice.goto(site.base + "/rooms")
    alice.wait_for_selector("#no-rooms:not([hidden])")
    check_accessible(alice, "rooms list, empty")
    alice.fill("#create input[name=name]", "Physics 101")
    press(alice, "#create button[type=submit]")
    alice.wait_for_url("**/rooms/*")
    alice.wait_for_selector("#connection.online")

    bob = registered_page(browser, site.base, "bob", viewport=PHONE)
    bob.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    bob.goto(site.base + "/rooms")
    bob.wait_for_selector("text=Join Physics 101")
    check_accessible(bob, "rooms list, a room to join")
    press(bob, ".join-form button")
    bob.wait_for_url("**/rooms/*")
    bob.wait_for_selector("#connection.online")
    alice.wait_for_function("() => document.getElementById('online').textContent.includes('bob')")

    send(alice, XSS)
    wait_for_text(bob, XSS)
    assert bob.locator("#messages img:not(.avatar)").count() == 0, "the payload stays text"
    send(bob, "Hi Alice\nsecond line")
    wait_for_text(alice, "Hi Alice\nsecond line")
    assert message_texts(alice) == [XSS, "Hi Alice\nsecond line"]
    alice.wait_for_selector("#members li:has-text('bob') button")
    check_accessible(alice, "room, its admin, two messages")
    check_accessible(bob, "room on a phone")
    shot(alice, "room-admin")
    shot(bob, "room-phone")

    site.kill()
    bob.wait_for_selector("#connection.offline")
    send(bob, "typed while the server was down")
    bob.wait_for_selector("#messages li.pending")
    site.start()
    wait_for_text(bob, "typed while the server was down")
    wait_for_text(alice, "typed while the server was down")
    assert bob.locator("#messages li.pending").count() == 0
    assert message_texts(alice).count("typed while the server was down") == 1
    with sqlite3.connect(site.db_path) as db:
        stored = db.execute("SELECT COUNT(*) FROM messages WHERE text LIKE 'typed while%'")
        assert stored.fetchone() == (1,)

    alice.click("#members button:has-text('Ban bob')")
    bob.wait_for_selector("#chat-error:has-text('You were banned')")
    assert bob.is_disabled("#text")
    alice.wait_for_selector("#bans li:has-text('bob')")
    check_accessible(alice, "room, a member banned")
    assert dialogs == [], "no script of a message ever ran"


def test_a_private_room_asks_for_its_key(site, browser):
    alice = registered_page(browser, site.base, "alice", viewport=LAPTOP)
    alice.goto(site.base + "/rooms")
    alice.fill("#create input[name=name]", "Staff room")
    alice.fill("#create input[name=key]", "coffee please")
    alice.click("#create button[type=submit]")
    alice.wait_for_url("**/rooms/*")

    carol = registered_page(browser, site.base, "carol", viewport=PHONE)
    carol.goto(site.base + "/rooms")
    carol.fill("#rooms input[name=key]", "tea please")
    carol.click("text=Join Staff room")
    carol.wait_for_selector("#rooms-status:has-text('not this room')")
    assert carol.evaluate("() => document.activeElement.name") == "key"
    check_accessible(carol, "rooms list, wrong key")
    carol.fill("#rooms input[name=key]", "coffee please")
    carol.click("text=Join Staff room")
    carol.wait_for_url("**/rooms/*")
    carol.wait_for_selector("#connection.online")


def test_a_conversation_and_live_unread_badges(site, browser):
    bob = registered_page(browser, site.base, "bob", viewport=PHONE)
    bob.goto(site.base + "/contacts")
    bob.wait_for_selector("#no-contacts:not([hidden])")
    bob.wait_for_selector("#connection.online")
    check_accessible(bob, "contacts, none")

    alice = registered_page(browser, site.base, "alice", viewport=LAPTOP)
    alice.goto(site.base + "/contacts")
    alice.fill("#find input[name=q]", "BO")
    press(alice, "#find button[type=submit]")
    alice.wait_for_selector("#found li:has-text('bob')")
    check_accessible(alice, "contacts, search results")
    alice.click("text=Message bob")
    alice.wait_for_url("**/dm/bob")
    alice.wait_for_selector("#connection.online")
    send(alice, XSS)
    send(alice, "are you there?")
    wait_for_text(alice, "are you there?")

    bob.wait_for_selector("#contacts li[data-username=alice] .unread:has-text('2 unread')")
    check_accessible(bob, "contacts, unread messages")
    shot(bob, "contacts-unread")
    bob.click("#contacts a:has-text('alice')")
    bob.wait_for_url("**/dm/alice")
    wait_for_text(bob, "are you there?")
    assert message_texts(bob) == [XSS, "are you there?"]
    check_accessible(bob, "conversation on a phone")
    send(bob, "yes!")
    wait_for_text(alice, "yes!")
    shot(alice, "conversation")
    bob.goto(site.base + "/contacts")
    bob.wait_for_selector("#contacts li[data-username=alice]")
    assert bob.locator("#contacts .unread").count() == 0, "read on the conversation page"
