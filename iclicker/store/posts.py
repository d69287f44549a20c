"""Students' questions in a lecture (Q&A): posts, upvotes and posting bans."""

import attrs

from iclicker.store.db import Database
from iclicker.store.engine import Txn


@attrs.frozen
class PostRow:
    id: int
    lecture_id: int
    author_id: int
    author: str
    """The author's display name (only instructors of attributed lectures see it)."""
    text: str
    votes: int
    answered: bool
    hidden: bool
    posted_at: float


@attrs.frozen
class NewPost:
    lecture_id: int
    author_id: int
    text: str
    client_id: str | None
    posted_at: float


@attrs.frozen
class StoredPost:
    post: PostRow | None
    """None: the author may not post in this lecture."""
    duplicate: bool = False
    """The author had already sent this ``client_id``: nothing new was stored."""


@attrs.frozen
class Vote:
    post_id: int
    lecture_id: int
    user_id: int
    up: bool


_POST_SELECT = (
    "SELECT p.id, p.lecture_id, p.author_id, u.display_name, p.text, p.votes, p.answered,"
    " p.hidden, p.posted_at FROM posts p JOIN users u ON u.id = p.author_id"
)


def _post(row: tuple) -> PostRow:
    return PostRow(*row[:6], bool(row[6]), bool(row[7]), row[8])


def _store_post(txn: Txn, new: NewPost) -> StoredPost:
    if new.client_id is not None:
        txn.execute(
            f"{_POST_SELECT} WHERE p.lecture_id = ? AND p.author_id = ? AND p.client_id = ?",
            (new.lecture_id, new.author_id, new.client_id),
        )
        earlier = txn.fetchone()
        if earlier is not None:
            return StoredPost(_post(earlier), duplicate=True)
    # The ban is checked in the writing transaction: a post racing its author's ban is refused.
    txn.execute(
        "INSERT INTO posts (lecture_id, author_id, text, client_id, posted_at)"
        " SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM posting_bans"
        " WHERE lecture_id = ? AND user_id = ?) RETURNING id",
        (new.lecture_id, new.author_id, new.text, new.client_id, new.posted_at)
        + (new.lecture_id, new.author_id),
    )
    inserted = txn.fetchone()
    if inserted is None:
        return StoredPost(None)
    txn.execute(f"{_POST_SELECT} WHERE p.id = ?", (inserted[0],))
    return StoredPost(_post(txn.fetchone()))


def store_posts_txn(txn: Txn, batch: list[NewPost]) -> list[StoredPost]:
    """A burst of posts in one transaction, each once per ``client_id``."""
    return [_store_post(txn, new) for new in batch]


def store_votes_txn(txn: Txn, batch: list[Vote]) -> list[int | None]:
    """A burst of votes in one transaction: one vote per student per post, taking it back
    allowed; each result is the post's vote count after it (None: no such post here).

    The count lives on the post row and moves only when a vote row is really added or
    removed, so a repeated vote changes nothing.
    """
    results: list[int | None] = []
    for vote in batch:
        if vote.up:
            txn.execute(
                "INSERT INTO post_votes (post_id, user_id) SELECT id, ? FROM posts"
                " WHERE id = ? AND lecture_id = ? ON CONFLICT DO NOTHING",
                (vote.user_id, vote.post_id, vote.lecture_id),
            )
        else:
            txn.execute(
                "DELETE FROM post_votes WHERE post_id = ? AND user_id = ?"
                " AND EXISTS (SELECT 1 FROM posts WHERE id = ? AND lecture_id = ?)",
                (vote.post_id, vote.user_id, vote.post_id, vote.lecture_id),
            )
        change = txn.rowcount if vote.up else -txn.rowcount
        txn.execute(
            "UPDATE posts SET votes = votes + ? WHERE id = ? AND lecture_id = ? RETURNING votes",
            (change, vote.post_id, vote.lecture_id),
        )
        row = txn.fetchone()
        results.append(row[0] if row else None)
    return results


def posts_of_txn(txn: Txn, lecture_id: int) -> list[PostRow]:
    """Every post of a lecture, most votes first, then oldest first."""
    txn.execute(f"{_POST_SELECT} WHERE p.lecture_id = ? ORDER BY p.votes DESC, p.id", (lecture_id,))
    return [_post(row) for row in txn.fetchall()]


def votes_of_txn(txn: Txn, lecture_id: int, user_id: int) -> list[int]:
    """The posts of a lecture this student has upvoted."""
    txn.execute(
        "SELECT v.post_id FROM post_votes v JOIN posts p ON p.id = v.post_id"
        " WHERE p.lecture_id = ? AND v.user_id = ?",
        (lecture_id, user_id),
    )
    return [row[0] for row in txn.fetchall()]


def moderate_txn(
    txn: Txn, lecture_id: int, post_id: int, answered: bool | None, hidden: bool | None
) -> PostRow | None:
    for column, value in (("answered", answered), ("hidden", hidden)):
        if value is not None:
            txn.execute(
                f"UPDATE posts SET {column} = ? WHERE id = ? AND lecture_id = ?",
                (value, post_id, lecture_id),
            )
    txn.execute(f"{_POST_SELECT} WHERE p.id = ? AND p.lecture_id = ?", (post_id, lecture_id))
    row = txn.fetchone()
    return _post(row) if row else None


def ban_txn(txn: Txn, lecture_id: int, user_id: int, banned: bool, now: float) -> None:
    if banned:
        txn.execute(
            "INSERT INTO posting_bans (lecture_id, user_id, banned_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (lecture_id, user_id, now),
        )
    else:
        txn.execute(
            "DELETE FROM posting_bans WHERE lecture_id = ? AND user_id = ?",
            (lecture_id, user_id),
        )


def on_projector_txn(txn: Txn, lecture_id: int) -> bool:
    txn.execute("SELECT posts_on_projector FROM lectures WHERE id = ?", (lecture_id,))
    row = txn.fetchone()
    return bool(row and row[0])


def set_on_projector_txn(txn: Txn, lecture_id: int, show: bool) -> None:
    txn.execute("UPDATE lectures SET posts_on_projector = ? WHERE id = ?", (show, lecture_id))


def posts_export_txn(txn: Txn, lecture_id: int) -> list[tuple]:
    """Every post with its author's username, for questions.csv, oldest first."""
    txn.execute(
        "SELECT p.id, u.username, u.display_name, p.text, p.votes, p.answered, p.hidden,"
        " p.posted_at FROM posts p JOIN users u ON u.id = p.author_id"
        " WHERE p.lecture_id = ? ORDER BY p.id",
        (lecture_id,),
    )
    return [tuple(row) for row in txn.fetchall()]


class PostStore:
    """Async access to posts for the reactor thread."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def store_posts(self, batch: list[NewPost]) -> list[StoredPost]:
        return await self._database.run(store_posts_txn, batch)

    async def store_votes(self, batch: list[Vote]) -> list[int | None]:
        return await self._database.run(store_votes_txn, batch)

    async def posts_of(self, lecture_id: int) -> list[PostRow]:
        return await self._database.read(posts_of_txn, lecture_id)

    async def votes_of(self, lecture_id: int, user_id: int) -> list[int]:
        return await self._database.read(votes_of_txn, lecture_id, user_id)

    async def moderate(
        self, lecture_id: int, post_id: int, answered: bool | None, hidden: bool | None
    ) -> PostRow | None:
        return await self._database.run(moderate_txn, lecture_id, post_id, answered, hidden)

    async def ban(self, lecture_id: int, user_id: int, banned: bool, now: float) -> None:
        await self._database.run(ban_txn, lecture_id, user_id, banned, now)

    async def on_projector(self, lecture_id: int) -> bool:
        return await self._database.read(on_projector_txn, lecture_id)

    async def set_on_projector(self, lecture_id: int, show: bool) -> None:
        await self._database.run(set_on_projector_txn, lecture_id, show)

    async def export(self, lecture_id: int) -> list[tuple]:
        return await self._database.read(posts_export_txn, lecture_id)
