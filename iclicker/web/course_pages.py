"""HTML pages for courses: the home page's course list, the course page, a student's record."""

import attrs
from klein import Klein
from twisted.web.server import Request

from iclicker.domain.courses import Courses, check_course_name
from iclicker.domain.lecture_values import iso_time
from iclicker.web.courses_api import bank_json, course_json, record_json
from iclicker.web.forms import form_value
from iclicker.web.http import add_route
from iclicker.web.pagekit import PageKit, redirect


class CoursePages:
    def __init__(self, kit: PageKit, courses: Courses) -> None:
        self._kit = kit
        self._courses = courses

    def install(self, app: Klein) -> None:
        add_route(app, "/", self.home, ["GET"])
        add_route(app, "/courses", self.courses, ["GET"])
        add_route(app, "/courses", self.create, ["POST"])
        add_route(app, "/courses/<id:course_id>", self.course, ["GET"])
        add_route(app, "/courses/<id:course_id>", self.update, ["POST"])
        add_route(app, "/courses/<id:course_id>/record", self.record, ["GET"])

    async def _courses_of(self, user) -> list[dict]:
        """Instructors: the courses they run; students: the ones they take."""
        if user.can_teach:
            courses = await self._courses.courses_of(user)
        else:
            courses = await self._courses.taken_by(user)
        return [course_json(c) for c in courses]

    async def home(self, request: Request) -> bytes:
        """Join a lecture; your courses."""
        user = await self._kit.require_viewer(request)
        return self._kit.render(request, "home.html", user, courses=await self._courses_of(user))

    async def courses(self, request: Request) -> bytes:
        user = await self._kit.require_viewer(request)
        return self._kit.render(request, "courses.html", user, courses=await self._courses_of(user))

    async def update(self, request: Request, course_id: int) -> bytes:
        """Rename or archive from the course page."""
        user = await self._kit.require_viewer(request)
        self._kit.check_form(request)
        await self._courses.update(
            user,
            course_id,
            check_course_name(form_value(request, "name") or ""),
            form_value(request, "archived") == "on",
        )
        return redirect(request, f"/courses/{course_id}")

    async def create(self, request: Request) -> bytes:
        user = await self._kit.require_viewer(request)
        self._kit.check_form(request)
        course = await self._courses.create(
            user, check_course_name(form_value(request, "name") or "")
        )
        return redirect(request, f"/courses/{course.id}")

    async def course(self, request: Request, course_id: int) -> bytes:
        """The instructor's course page: roster, question bank, lectures, gradebook."""
        user = await self._kit.require_viewer(request)
        page = await self._courses.course_page(user, course_id)
        return self._kit.render(
            request,
            "course.html",
            user,
            course=course_json(page.course),
            roster=page.roster,
            standing={row.username: row for row in page.standing},
            lectures=[
                {**attrs.asdict(lecture), "created_at": iso_time(lecture.created_at)}
                for lecture in page.lectures
            ],
            bank=[bank_json(q) for q in page.bank],
        )

    async def record(self, request: Request, course_id: int) -> bytes:
        """A student's own attendance and answers in the course."""
        user = await self._kit.require_viewer(request)
        course, lectures = await self._courses.record(user, course_id)
        return self._kit.render(request, "record.html", user, record=record_json(course, lectures))
