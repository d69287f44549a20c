"""The instructors' side of a lecture's Q&A: the list with authors, moderation, posting
bans, the projector's top list, and questions.csv."""

from klein import Klein
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.exports import questions_csv
from iclicker.domain.posts import Posts, post_json
from iclicker.web.cookies import authenticated_user, json_write
from iclicker.web.guards import Guards
from iclicker.web.http import add_route, field, json_response

LECTURE = "/api/lectures/<id:lecture_id>"


class PostsApi:
    def __init__(self, posts: Posts, sessions: Sessions, guards: Guards) -> None:
        self._posts = posts
        self._sessions = sessions
        self._guards = guards

    def install(self, app: Klein) -> None:
        add_route(app, f"{LECTURE}/posts", self.listing, ["GET"])
        add_route(app, f"{LECTURE}/posts/<id:post_id>", self.moderate, ["POST"])
        add_route(app, f"{LECTURE}/posting-bans", self.ban, ["POST"])
        add_route(app, f"{LECTURE}/projector", self.projector, ["POST"])
        add_route(app, f"{LECTURE}/questions.csv", self.export, ["GET"])

    async def listing(self, request: Request, lecture_id: int) -> bytes:
        user = await authenticated_user(request, self._sessions)
        lecture, posts = await self._posts.listing(user, lecture_id)
        return json_response(
            request, 200, {"posts": [post_json(post, lecture, True) for post in posts]}
        )

    async def moderate(self, request: Request, lecture_id: int, post_id: int) -> bytes:
        user, body = await json_write(request, self._guards, self._sessions)
        post = await self._posts.moderate(
            user,
            lecture_id,
            post_id,
            field(body, "answered", bool, required=False),
            field(body, "hidden", bool, required=False),
        )
        return json_response(request, 200, {"post": post})

    async def ban(self, request: Request, lecture_id: int) -> bytes:
        """Stop a student posting in this lecture (``"banned": false`` lets them again)."""
        user, body = await json_write(request, self._guards, self._sessions)
        banned = field(body, "banned", bool, required=False)
        await self._posts.ban(user, lecture_id, field(body, "username", str), banned is not False)
        request.setResponseCode(204)
        return b""

    async def projector(self, request: Request, lecture_id: int) -> bytes:
        """Show the Q&A top list on the projector, or not."""
        user, body = await json_write(request, self._guards, self._sessions)
        show = field(body, "show_posts", bool)
        await self._posts.show_on_projector(user, lecture_id, show)
        return json_response(request, 200, {"show_posts": show})

    async def export(self, request: Request, lecture_id: int) -> bytes:
        user = await authenticated_user(request, self._sessions)
        lecture, rows = await self._posts.export(user, lecture_id)
        request.setHeader(b"content-type", b"text/csv; charset=utf-8")
        request.setHeader(
            b"content-disposition",
            f'attachment; filename="lecture-{lecture_id}-questions.csv"'.encode("ascii"),
        )
        return questions_csv(rows, with_authors=not lecture.posts_anonymous)
