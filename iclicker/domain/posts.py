"""Students' questions during a lecture (Q&A): posts, upvotes, moderation.

A post and a vote are acknowledged only once committed (group-committed in
bursts, as answers are). Everyone in the lecture sees the list live: a new
post and a moderated one are published at once; vote counts are coalesced
per lecture, at most one ``post_votes`` frame per 100 ms from each process,
whatever the storm. Posts are anonymous to classmates; instructors see
who wrote them unless the lecture makes them fully anonymous.

Each process keeps the list of every lecture it serves as students see it
(a ``_Board``), kept up by the very frames every socket of the lecture
gets, from whichever process; so a hall reconnecting at once costs no
database read unless the lecture has posts (then one for each student's
own votes).
"""

from collections import deque

import attrs
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from iclicker.domain.accounts import User
from iclicker.domain.batch_writer import BatchWriter
from iclicker.domain.errors import Forbidden, Invalid, NotFound, TooManyAttempts
from iclicker.domain.lecture_values import instructor_group, iso_time, lecture_group
from iclicker.domain.lectures import Lectures
from iclicker.domain.live import LiveLecture
from iclicker.domain.text import trim
from iclicker.groups.interface import IGroupMember, IGroups
from iclicker.store.lectures import LectureRow
from iclicker.store.posts import NewPost, PostRow, PostStore, Vote
from iclicker.store.users import UserStore

MAX_POST = 500
POSTS_PER_MINUTE = 5
"""A student's posts in one lecture within a minute; more are refused (votes are not limited:
one per post per student already bounds them)."""
VOTES_INTERVAL = 0.1
SHOWN_POSTS = 200
"""Posts in a ``hello`` (most votes first): a reconnect storm must stay cheap."""
MAX_CLIENT_ID = 64


def post_json(post: PostRow, lecture: LectureRow, for_instructor: bool) -> dict:
    """A Post as its viewer may see it: the author only for instructors of a lecture
    whose posts are attributed."""
    body = {
        "id": post.id,
        "text": post.text,
        "votes": post.votes,
        "answered": post.answered,
        "hidden": post.hidden,
        "posted_at": iso_time(post.posted_at),
    }
    if for_instructor and not lecture.posts_anonymous:
        body["author"] = post.author
    return body


def check_post(text: str, client_id: str | None) -> tuple[str, str | None]:
    text = trim(text)
    if not 1 <= len(text) <= MAX_POST:
        raise Invalid(f"A question is 1 to {MAX_POST} characters.")
    if client_id is not None and not 1 <= len(client_id) <= MAX_CLIENT_ID:
        raise Invalid(f"A client_id is 1 to {MAX_CLIENT_ID} characters.")
    return text, client_id


@attrs.define
class _Board:
    """A lecture's posts as students see them, by id."""

    posts: dict[int, dict] = attrs.field(factory=dict)

    def shown(self) -> list[dict]:
        visible = [post for post in self.posts.values() if not post["hidden"]]
        visible.sort(key=lambda post: (-post["votes"], post["id"]))
        return visible[:SHOWN_POSTS]


@attrs.define
class _Coalesced:
    counts: dict[int, int] = attrs.field(factory=dict)
    call: IDelayedCall | None = None


@implementer(IGroupMember)
class Posts(Service):
    """The Q&A of every lecture this process serves; also a member of each lecture's group
    it keeps a board for, to hear every change from any process."""

    log = Logger()

    def __init__(
        self,
        store: PostStore,
        users: UserStore,
        lectures: Lectures,
        groups: IGroups,
        clock: IReactorTime,
    ) -> None:
        self._store = store
        self._users = users
        self._lectures = lectures
        self._groups = groups
        self._clock = clock
        self._posts = BatchWriter(store.store_posts, busy="Too many questions at once; retry.")
        self._votes = BatchWriter(store.store_votes, busy="Too many votes at once; retry.")
        self._recent: dict[tuple[int, int], deque[float]] = {}
        self._coalesced: dict[int, _Coalesced] = {}
        self._boards: dict[int, _Board] = {}
        self._loading: dict[int, list[Deferred]] = {}

    def stopService(self) -> Deferred:
        super().stopService()
        for pending in self._coalesced.values():
            if pending.call is not None and pending.call.active():
                pending.call.cancel()
        return Deferred.fromCoroutine(self._drain())

    async def _drain(self) -> None:
        await self._posts.drain()
        await self._votes.drain()

    # -- students ------------------------------------------------------------------

    async def post(
        self, live: LiveLecture, user: User, text: str, client_id: str | None
    ) -> tuple[dict, bool]:
        """Post a question; returns it (as its author sees it) and whether it is new."""
        text, client_id = check_post(text, client_id)
        lecture = live.lecture
        self._limit(lecture.id, user.id)
        stored = await self._posts.record(
            NewPost(lecture.id, user.id, text, client_id, self._clock.seconds())
        )
        if stored.post is None:
            raise Forbidden("You may not post questions in this lecture.", "posting_banned")
        if not stored.duplicate:
            self._groups.group_send(
                lecture_group(lecture.id),
                {
                    "type": "post_added",
                    "lecture_id": lecture.id,
                    "post": post_json(stored.post, lecture, False),
                },
            )
        return post_json(stored.post, lecture, False), not stored.duplicate

    async def vote(self, live: LiveLecture, user: User, post_id: int, up: bool) -> int:
        """Upvote a post (or take the vote back); the post's count once committed."""
        votes = await self._votes.record(Vote(post_id, live.lecture.id, user.id, up))
        if votes is None:
            raise NotFound("There is no such question in this lecture.", "unknown_post")
        self._count_later(live.lecture.id, post_id, votes)
        return votes

    async def hello(self, live: LiveLecture, user: User, instructor: bool) -> dict:
        """The Q&A part of a socket's first frame: the list, and what this user voted for.

        Instructors (a few sockets) read everything, hidden posts and authors included;
        students get the board."""
        lecture_id = live.lecture.id
        if instructor:
            posts = await self._store.posts_of(lecture_id)
            return {
                "posts": [post_json(p, live.lecture, True) for p in posts[:SHOWN_POSTS]],
                "posts_on_projector": await self._store.on_projector(lecture_id),
            }
        board = await self._board(lecture_id)
        my_votes = await self._store.votes_of(lecture_id, user.id) if board.posts else []
        return {"posts": board.shown(), "my_votes": my_votes}

    async def _board(self, lecture_id: int) -> _Board:
        board = self._boards.get(lecture_id)
        if board is not None:
            return board
        waiters = self._loading.get(lecture_id)
        if waiters is not None:
            waiter: Deferred = Deferred()
            waiters.append(waiter)
            return await waiter
        # Listen before reading, so no change falls in between.
        self._loading[lecture_id] = waiters = []
        self._groups.group_add(lecture_group(lecture_id), self)
        try:
            lecture = await self._lectures.lecture(lecture_id)
            posts = await self._store.posts_of(lecture_id)
        except BaseException:
            failure = Failure()
            self._groups.group_discard(lecture_group(lecture_id), self)
            for waiter in self._loading.pop(lecture_id):
                waiter.errback(failure)
            raise
        board = self._boards[lecture_id] = _Board(
            {p.id: post_json(p, lecture, False) for p in posts}
        )
        for waiter in self._loading.pop(lecture_id):
            waiter.callback(board)
        return board

    def deliver(self, message: dict, encoded: object) -> None:
        """A frame of a lecture whose board this process keeps (sent by any process)."""
        kind = message["type"]
        if kind == "lecture_ended":
            self.forget(message["lecture_id"])
            return
        if kind not in ("post_added", "post_changed", "post_votes"):
            return
        board = self._boards.get(message["lecture_id"])
        if board is None:
            return
        if kind == "post_votes":
            for post_id, votes in message["votes"].items():
                post = board.posts.get(int(post_id))
                if post is not None:
                    post["votes"] = votes
        else:
            board.posts[message["post"]["id"]] = dict(message["post"])

    def forget(self, lecture_id: int) -> None:
        if self._boards.pop(lecture_id, None) is not None:
            self._groups.group_discard(lecture_group(lecture_id), self)

    def forget_all(self) -> None:
        """Drop every board, to be read afresh (after missing the other processes' changes)."""
        for lecture_id in list(self._boards):
            self.forget(lecture_id)

    def _limit(self, lecture_id: int, user_id: int) -> None:
        now = self._clock.seconds()
        recent = self._recent.setdefault((lecture_id, user_id), deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= POSTS_PER_MINUTE:
            raise TooManyAttempts(
                f"At most {POSTS_PER_MINUTE} questions a minute; wait a little.", "rate_limited"
            )
        recent.append(now)
        if len(self._recent) > 100_000:  # bounded: forget the oldest students' windows
            self._recent.pop(next(iter(self._recent)))

    def _count_later(self, lecture_id: int, post_id: int, votes: int) -> None:
        pending = self._coalesced.setdefault(lecture_id, _Coalesced())
        pending.counts[post_id] = votes
        if pending.call is None:
            pending.call = self._clock.callLater(VOTES_INTERVAL, self._send_counts, lecture_id)

    def _send_counts(self, lecture_id: int) -> None:
        pending = self._coalesced.pop(lecture_id)
        self._groups.group_send(
            lecture_group(lecture_id),
            {
                "type": "post_votes",
                "lecture_id": lecture_id,
                "votes": {str(k): v for k, v in pending.counts.items()},
            },
        )

    # -- instructors -------------------------------------------------------------------

    async def listing(self, user: User, lecture_id: int) -> tuple[LectureRow, list[PostRow]]:
        lecture = await self._lectures.owned(user, lecture_id)
        return lecture, await self._store.posts_of(lecture_id)

    async def export(self, user: User, lecture_id: int) -> tuple[LectureRow, list[tuple]]:
        lecture = await self._lectures.owned(user, lecture_id)
        return lecture, await self._store.export(lecture_id)

    async def moderate(
        self,
        user: User,
        lecture_id: int,
        post_id: int,
        answered: bool | None,
        hidden: bool | None,
    ) -> dict:
        """Mark a post answered or hide it (or undo either); everyone's list follows."""
        lecture = await self._lectures.owned(user, lecture_id)
        post = await self._store.moderate(lecture_id, post_id, answered, hidden)
        if post is None:
            raise NotFound("No such question.")
        self._groups.group_send(
            lecture_group(lecture_id),
            {
                "type": "post_changed",
                "lecture_id": lecture_id,
                "post": post_json(post, lecture, False),
            },
        )
        return post_json(post, lecture, True)

    async def ban(self, user: User, lecture_id: int, username: str, banned: bool) -> None:
        """Stop a student posting in this lecture (or let them again)."""
        await self._lectures.owned(user, lecture_id)
        student = await self._users.by_username(username)
        if student is None:
            raise NotFound("No such user.")
        await self._store.ban(lecture_id, student.id, banned, self._clock.seconds())

    async def show_on_projector(self, user: User, lecture_id: int, show: bool) -> None:
        await self._lectures.owned(user, lecture_id)
        await self._store.set_on_projector(lecture_id, show)
        self._groups.group_send(
            instructor_group(lecture_id), {"type": "posts_on_projector", "show": show}
        )
