"""HTML pages for lectures: the instructor's dashboard and live page, the student's join page."""

from klein import Klein
from twisted.web.server import Request

from iclicker.domain.errors import NotFound
from iclicker.domain.lecture_values import check_title, lecture_json, normalise_join_code
from iclicker.domain.lectures import Lectures
from iclicker.web.forms import form_value
from iclicker.web.http import add_route
from iclicker.web.pagekit import PageKit, redirect


class LecturePages:
    def __init__(self, kit: PageKit, lectures: Lectures) -> None:
        self._kit = kit
        self._lectures = lectures

    def install(self, app: Klein) -> None:
        add_route(app, "/lectures", self.dashboard, ["GET"])
        add_route(app, "/lectures", self.start, ["POST"])
        add_route(app, "/lectures/<id:lecture_id>", self.lecture, ["GET"])
        add_route(app, "/lectures/<id:lecture_id>/projector", self.projector, ["GET"])
        add_route(app, "/join", self.join_form, ["GET"])
        add_route(app, "/join/<code>", self.join, ["GET"])

    async def dashboard(self, request: Request) -> bytes:
        """Start a lecture, or open a past one."""
        user = await self._kit.require_viewer(request)
        lectures = await self._lectures.lectures_of(user)
        return self._kit.render(
            request, "lectures.html", user, lectures=[lecture_json(row) for row in lectures]
        )

    async def start(self, request: Request) -> bytes:
        user = await self._kit.require_viewer(request)
        self._kit.check_form(request)
        course = form_value(request, "course_id")
        if course is not None:
            # Not an id: 0, which no course has, so the domain says 404 after its role check.
            course = (
                int(course) if course.isascii() and course.isdigit() and len(course) < 19 else 0
            )
        lecture = await self._lectures.create(
            user,
            check_title(form_value(request, "title") or ""),
            course,
            anonymous=form_value(request, "anonymous") == "true",
            posts_anonymous=form_value(request, "anonymous_posts") == "true",
        )
        return redirect(request, f"/lectures/{lecture.id}")

    async def lecture(self, request: Request, lecture_id: int) -> bytes:
        """The instructor's live page (or the results of an ended lecture)."""
        user = await self._kit.require_viewer(request)
        lecture = await self._lectures.owned(user, lecture_id)
        return self._kit.render(request, "instructor.html", user, lecture=lecture_json(lecture))

    async def projector(self, request: Request, lecture_id: int) -> bytes:
        """What the room sees: no controls; ``?contrast=high`` for washed-out projectors."""
        user = await self._kit.require_viewer(request)
        lecture = await self._lectures.owned(user, lecture_id)
        return self._kit.render(
            request,
            "projector.html",
            user,
            lecture=lecture_json(lecture),
            high_contrast=form_value(request, "contrast") == "high",
        )

    async def join_form(self, request: Request) -> bytes:
        user = await self._kit.require_viewer(request)
        code = form_value(request, "code")
        if code:
            return redirect(request, f"/join/{normalise_join_code(code)}")
        return self._kit.render(request, "join.html", user)

    async def join(self, request: Request, code: str) -> bytes:
        """The student's live page for an open lecture."""
        user = await self._kit.require_viewer(request)
        live = await self._lectures.open_by_code(code)
        if live is None:
            ended = await self._lectures.ended_by_code(code)
            if ended is not None:
                return self._kit.render(
                    request,
                    "error.html",
                    user,
                    status=410,
                    title="This lecture has ended",
                    message=f"“{ended.title}” has ended. Thank you for taking part!",
                    status_code=None,
                )
            raise NotFound("There is no open lecture with that join code. Check it and try again.")
        return self._kit.render(request, "student.html", user, lecture=lecture_json(live.lecture))
