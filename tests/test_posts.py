"""Students' questions (Q&A): posting, votes and their coalesced counts, moderation and
bans, with ``task.Clock`` over a real SQLite database."""

import pytest
import pytest_twisted
from lecture_domain import PROF, STUDENTS, raises

from iclicker.domain.errors import Forbidden, Invalid, NotFound, TooManyAttempts
from iclicker.domain.posts import POSTS_PER_MINUTE, VOTES_INTERVAL, Posts
from iclicker.store.posts import PostStore
from iclicker.store.users import UserStore


@pytest.fixture
def posts(database, lectures, groups, clock):
    return Posts(PostStore(database), UserStore(database), lectures, groups, clock)


async def lecture_with_live(lectures, **options):
    lecture = await lectures.create(PROF, "Physics", **options)
    return lecture, await lectures.open_by_code(lecture.join_code)


def sent(groups, kind):
    return [message for _, message in groups.of_type(kind)]


@pytest_twisted.ensureDeferred
async def test_posts_votes_and_order(lectures, posts, groups, clock):
    lecture, live = await lecture_with_live(lectures)
    first, new = await posts.post(live, STUDENTS[0], "  Why is the sky blue? ", "c1")
    assert new and first["text"] == "Why is the sky blue?" and "author" not in first
    again, new = await posts.post(live, STUDENTS[0], "Why is the sky blue?", "c1")
    assert not new and again["id"] == first["id"]  # a retried post is stored once
    second, _ = await posts.post(live, STUDENTS[1], "What is a photon?", None)
    assert [m["post"]["id"] for m in sent(groups, "post_added")] == [first["id"], second["id"]]

    assert await posts.vote(live, STUDENTS[2], second["id"], True) == 1
    assert await posts.vote(live, STUDENTS[2], second["id"], True) == 1  # one vote each
    assert await posts.vote(live, STUDENTS[3], second["id"], True) == 2
    assert await posts.vote(live, STUDENTS[3], second["id"], False) == 1  # taken back
    assert await posts.vote(live, STUDENTS[3], first["id"], False) == 0  # nothing to take
    await raises(posts.vote(live, STUDENTS[3], 999, True), NotFound, "unknown_post")
    assert sent(groups, "post_votes") == []
    clock.advance(VOTES_INTERVAL)
    [counts] = sent(groups, "post_votes")  # coalesced: one frame for the whole burst
    assert counts["votes"] == {str(second["id"]): 1, str(first["id"]): 0}

    hello = await posts.hello(live, STUDENTS[2], instructor=False)
    assert [p["id"] for p in hello["posts"]] == [second["id"], first["id"]]  # votes first
    assert hello["my_votes"] == [second["id"]]
    listing = (await posts.hello(live, PROF, instructor=True))["posts"]
    assert listing[1]["author"] == STUDENTS[0].display_name


@pytest_twisted.ensureDeferred
async def test_moderation_bans_limits_and_anonymity(lectures, posts, groups, clock):
    lecture, live = await lecture_with_live(lectures, posts_anonymous=True)
    post, _ = await posts.post(live, STUDENTS[0], "Can we go slower?", None)
    hidden = await posts.moderate(PROF, lecture.id, post["id"], None, True)
    assert hidden["hidden"] and "author" not in hidden  # fully anonymous lecture
    assert sent(groups, "post_changed")[-1]["post"]["hidden"] is True
    assert (await posts.hello(live, STUDENTS[1], instructor=False))["posts"] == []
    answered = await posts.moderate(PROF, lecture.id, post["id"], True, False)
    assert answered["answered"] and not answered["hidden"]
    await raises(posts.moderate(PROF, lecture.id, 999, True, None), NotFound)

    await posts.ban(PROF, lecture.id, STUDENTS[1].username, True)
    await raises(posts.post(live, STUDENTS[1], "Hello?", None), Forbidden, "posting_banned")
    await posts.ban(PROF, lecture.id, STUDENTS[1].username, False)
    await posts.post(live, STUDENTS[1], "Hello again", None)

    await raises(posts.post(live, STUDENTS[2], " ", None), Invalid)
    await raises(posts.post(live, STUDENTS[2], "x" * 501, None), Invalid)
    for number in range(POSTS_PER_MINUTE):
        await posts.post(live, STUDENTS[2], f"Question {number}", None)
    await raises(posts.post(live, STUDENTS[2], "One more", None), TooManyAttempts)
    clock.advance(60)
    await posts.post(live, STUDENTS[2], "A minute later", None)
