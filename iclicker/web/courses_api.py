"""The courses JSON API: courses, and their rosters from uploaded spreadsheets."""

from klein import Klein
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import User
from iclicker.domain.courses import Courses, check_course_name
from iclicker.domain.lecture_values import iso_time
from iclicker.domain.question_kinds import answer_text, correct_json, correct_text, wire_answer
from iclicker.domain.spreadsheets import MAX_FILE_BYTES
from iclicker.store.courses import BankQuestion, CourseRow, RecordLecture, RecordQuestion
from iclicker.web.cookies import authenticated_user, json_write
from iclicker.web.guards import Guards
from iclicker.web.http import add_route, field, json_response
from iclicker.web.uploads import upload_write

COURSE = "/api/courses/<id:course_id>"


def course_json(course: CourseRow) -> dict:
    return {"id": course.id, "name": course.name, "archived": course.archived}


def record_json(course: CourseRow, lectures: list[RecordLecture]) -> dict:
    """A student's record: the correct answer and verdict only once a question is closed."""

    def question(q: RecordQuestion) -> dict:
        closed = q.status == "closed"
        result = None
        if q.anonymous:
            result = "anonymous" if q.my_answer is not None else None
        elif closed and q.correct not in (None, ()):
            result = (
                "unanswered"
                if q.my_answer is None
                else ("correct" if q.my_answer_correct else "wrong")
            )
        shown = q.my_answer is not None and q.my_answer != ""
        return {
            "text": q.text,
            "kind": q.kind,
            "choices": list(q.choices),
            "status": q.status,
            "anonymous": q.anonymous,
            "my_answer": wire_answer(q.kind, q.my_answer) if shown else None,
            "my_answer_text": answer_text(q.kind, q.my_answer) if shown else None,
            "correct": correct_json(q.kind, q.correct) if closed else None,
            "correct_text": correct_text(q.kind, q.correct) if closed else None,
            "result": result,
        }

    return {
        "course": {"id": course.id, "name": course.name},
        "lectures": [
            {
                "id": lecture.id,
                "title": lecture.title,
                "created_at": iso_time(lecture.created_at),
                "attended": lecture.attended,
                "questions": [question(q) for q in lecture.questions],
            }
            for lecture in lectures
        ],
    }


def bank_json(question: BankQuestion) -> dict:
    return {
        "id": question.id,
        "text": question.text,
        "choices": list(question.choices),
        "correct": question.correct,
    }


class CoursesApi:
    def __init__(self, courses: Courses, sessions: Sessions, guards: Guards, run_in_thread) -> None:
        self._courses = courses
        self._sessions = sessions
        self._guards = guards
        self._run_in_thread = run_in_thread

    def install(self, app: Klein) -> None:
        add_route(app, "/api/courses", self.create, ["POST"])
        add_route(app, "/api/courses", self.list, ["GET"])
        add_route(app, COURSE, self.update, ["PATCH"])
        add_route(app, f"{COURSE}/roster", self.upload_roster, ["POST"])
        add_route(app, f"{COURSE}/roster", self.roster, ["GET"])
        add_route(app, f"{COURSE}/questions", self.upload_bank, ["POST"])
        add_route(app, f"{COURSE}/questions", self.bank, ["GET"])
        add_route(app, f"{COURSE}/gradebook.csv", self.gradebook, ["GET"])
        add_route(app, f"{COURSE}/record", self.record, ["GET"])

    async def _writer(self, request: Request) -> tuple[User, dict]:
        return await json_write(request, self._guards, self._sessions)

    async def create(self, request: Request) -> bytes:
        user, body = await self._writer(request)
        course = await self._courses.create(user, check_course_name(field(body, "name", str)))
        return json_response(request, 201, {"course": course_json(course)})

    async def list(self, request: Request) -> bytes:
        user = await authenticated_user(request, self._sessions)
        courses = await self._courses.courses_of(user)
        return json_response(request, 200, {"courses": [course_json(c) for c in courses]})

    async def update(self, request: Request, course_id: int) -> bytes:
        """Rename (``name``) or archive (``archived``) a course."""
        user, body = await self._writer(request)
        name = field(body, "name", str, required=False)
        archived = field(body, "archived", bool, required=False)
        course = await self._courses.update(
            user, course_id, None if name is None else check_course_name(name), archived
        )
        return json_response(request, 200, {"course": course_json(course)})

    async def upload_roster(self, request: Request, course_id: int) -> bytes:
        user, upload = await upload_write(
            request, self._guards, self._sessions, self._run_in_thread, MAX_FILE_BYTES, "The file"
        )
        counts = await self._courses.upload_roster(
            user, course_id, upload.file, replace=upload.fields.get("replace") == "true"
        )
        return json_response(
            request,
            200,
            {
                "added": counts.added,
                "updated": counts.updated,
                "pending": counts.pending,
                "removed": counts.removed,
            },
        )

    async def roster(self, request: Request, course_id: int) -> bytes:
        user = await authenticated_user(request, self._sessions)
        students = await self._courses.roster(user, course_id)
        return json_response(
            request,
            200,
            {
                "students": [
                    {
                        "username": s.username,
                        "display_name": s.display_name,
                        "status": "active" if s.active else "pending",
                    }
                    for s in students
                ]
            },
        )

    async def upload_bank(self, request: Request, course_id: int) -> bytes:
        user, upload = await upload_write(
            request, self._guards, self._sessions, self._run_in_thread, MAX_FILE_BYTES, "The file"
        )
        added, bank = await self._courses.upload_bank(user, course_id, upload.file)
        return json_response(
            request, 200, {"added": added, "questions": [bank_json(q) for q in bank]}
        )

    async def bank(self, request: Request, course_id: int) -> bytes:
        user = await authenticated_user(request, self._sessions)
        bank = await self._courses.bank(user, course_id)
        return json_response(request, 200, {"questions": [bank_json(q) for q in bank]})

    async def gradebook(self, request: Request, course_id: int) -> bytes:
        """Streamed as it is computed: a big course never sits whole in memory."""
        user = await authenticated_user(request, self._sessions)
        pieces = await self._courses.gradebook(user, course_id)
        request.setHeader(b"content-type", b"text/csv; charset=utf-8")
        request.setHeader(
            b"content-disposition",
            f'attachment; filename="course-{course_id}-gradebook.csv"'.encode("ascii"),
        )
        async for piece in pieces:
            request.write(piece)
        return b""

    async def record(self, request: Request, course_id: int) -> bytes:
        """The signed-in student's own attendance and answers in this course."""
        user = await authenticated_user(request, self._sessions)
        course, lectures = await self._courses.record(user, course_id)
        return json_response(request, 200, record_json(course, lectures))
