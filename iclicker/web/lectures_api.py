"""The lectures JSON API: create, ask, close, end, and export responses."""

from klein import Klein
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import User
from iclicker.domain.exports import responses_csv
from iclicker.domain.lecture_values import (
    check_new_question,
    check_title,
    lecture_json,
    question_json,
)
from iclicker.domain.lectures import Lectures
from iclicker.domain.question_kinds import check_timer
from iclicker.web.cookies import authenticated_user, json_write
from iclicker.web.guards import Guards
from iclicker.web.http import (
    add_route,
    field,
    json_response,
)

LECTURE = "/api/lectures/<id:lecture_id>"


class LecturesApi:
    def __init__(self, lectures: Lectures, sessions: Sessions, guards: Guards) -> None:
        self._lectures = lectures
        self._sessions = sessions
        self._guards = guards

    def install(self, app: Klein) -> None:
        add_route(app, "/api/lectures", self.create, ["POST"])
        add_route(app, "/api/lectures", self.list, ["GET"])
        add_route(app, LECTURE, self.get, ["GET"])
        add_route(app, f"{LECTURE}/questions", self.ask, ["POST"])
        add_route(app, f"{LECTURE}/questions", self.results, ["GET"])
        add_route(app, f"{LECTURE}/questions/<id:question_id>/close", self.close, ["POST"])
        add_route(app, f"{LECTURE}/questions/<id:question_id>/reveal", self.reveal, ["POST"])
        add_route(app, f"{LECTURE}/questions/<id:question_id>/time", self.add_time, ["POST"])
        add_route(app, f"{LECTURE}/questions/<id:question_id>/rounds", self.next_round, ["POST"])
        add_route(app, f"{LECTURE}/questions/<id:question_id>/marks", self.mark, ["POST"])
        add_route(app, f"{LECTURE}/end", self.end, ["POST"])
        add_route(app, f"{LECTURE}/responses.csv", self.responses, ["GET"])
        add_route(app, f"{LECTURE}/attendance", self.attendance, ["GET"])

    async def _reader(self, request: Request) -> User:
        return await authenticated_user(request, self._sessions)

    async def _writer(self, request: Request) -> tuple[User, dict]:
        return await json_write(request, self._guards, self._sessions)

    async def create(self, request: Request) -> bytes:
        user, body = await self._writer(request)
        title = check_title(field(body, "title", str))
        course_id = field(body, "course_id", int, required=False)
        anonymous = field(body, "anonymous", bool, required=False) or False
        anonymous_posts = field(body, "anonymous_posts", bool, required=False) or False
        lecture = await self._lectures.create(user, title, course_id, anonymous, anonymous_posts)
        return json_response(request, 201, {"lecture": lecture_json(lecture)})

    async def list(self, request: Request) -> bytes:
        user = await self._reader(request)
        lectures = await self._lectures.lectures_of(user)
        return json_response(request, 200, {"lectures": [lecture_json(row) for row in lectures]})

    async def get(self, request: Request, lecture_id: int) -> bytes:
        user = await self._reader(request)
        lecture, question, present = await self._lectures.overview(user, lecture_id)
        return json_response(
            request,
            200,
            {
                "lecture": lecture_json(lecture),
                "question": (
                    question_json(question, True, self._lectures.now()) if question else None
                ),
                "present": present,
            },
        )

    async def ask(self, request: Request, lecture_id: int) -> bytes:
        user, body = await self._writer(request)
        question = await self._lectures.ask(user, lecture_id, check_new_question(body))
        return json_response(
            request, 201, {"question": question_json(question, True, self._lectures.now())}
        )

    async def results(self, request: Request, lecture_id: int) -> bytes:
        """Every question of the lecture with its counts: the past-lectures view."""
        user = await self._reader(request)
        results = await self._lectures.results(user, lecture_id)
        return json_response(
            request,
            200,
            {
                "questions": [
                    {**question_json(question, with_correct=True), **results}
                    for question, results in results
                ]
            },
        )

    async def close(self, request: Request, lecture_id: int, question_id: int) -> bytes:
        user, body = await self._writer(request)
        show_results = field(body, "show_results", bool, required=False)
        closed = await self._lectures.close(
            user, lecture_id, question_id, show_results is not False
        )
        return json_response(
            request,
            200,
            {
                "question": question_json(closed.question, with_correct=True),
                **await self._lectures.closed_results(closed),
            },
        )

    async def next_round(self, request: Request, lecture_id: int, question_id: int) -> bytes:
        """Peer instruction: the closed question opens again for another round."""
        user, body = await self._writer(request)
        timer = check_timer(body.get("timer"))
        question = await self._lectures.next_round(user, lecture_id, question_id, timer)
        return json_response(
            request, 201, {"question": question_json(question, True, self._lectures.now())}
        )

    async def add_time(self, request: Request, lecture_id: int, question_id: int) -> bytes:
        user, body = await self._writer(request)
        seconds = field(body, "seconds", int)
        question = await self._lectures.add_time(user, lecture_id, question_id, seconds)
        return json_response(
            request, 200, {"question": question_json(question, True, self._lectures.now())}
        )

    async def mark(self, request: Request, lecture_id: int, question_id: int) -> bytes:
        """Accept or hide one text answer (or take either back)."""
        user, body = await self._writer(request)
        question = await self._lectures.mark_answer(
            user,
            lecture_id,
            question_id,
            field(body, "answer", str),
            field(body, "accepted", bool, required=False),
            field(body, "hidden", bool, required=False),
        )
        return json_response(request, 200, {"question": question_json(question, True)})

    async def reveal(self, request: Request, lecture_id: int, question_id: int) -> bytes:
        user, _ = await self._writer(request)
        question = await self._lectures.reveal(user, lecture_id, question_id)
        return json_response(request, 200, {"question": question_json(question, with_correct=True)})

    async def end(self, request: Request, lecture_id: int) -> bytes:
        user, _ = await self._writer(request)
        lecture = await self._lectures.end(user, lecture_id)
        return json_response(request, 200, {"lecture": lecture_json(lecture)})

    async def attendance(self, request: Request, lecture_id: int) -> bytes:
        user = await self._reader(request)
        students = await self._lectures.attendance(user, lecture_id)
        return json_response(
            request,
            200,
            {"students": [{"username": u, "display_name": d} for u, d in students]},
        )

    async def responses(self, request: Request, lecture_id: int) -> bytes:
        user = await self._reader(request)
        rows = await self._lectures.responses(user, lecture_id)
        request.setHeader(b"content-type", b"text/csv; charset=utf-8")
        request.setHeader(
            b"content-disposition",
            f'attachment; filename="lecture-{lecture_id}-responses.csv"'.encode("ascii"),
        )
        return responses_csv(rows)
