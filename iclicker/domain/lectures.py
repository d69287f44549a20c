"""Live lectures: join codes, questions, answers, tallies and the end of a lecture.

The database is the truth; ``LiveLecture`` is this process's replica of an
open lecture's current question and answers, loaded from the database on
first use (so a restarted server resumes where it stopped). When several
processes serve one lecture, each tells the others what changed through the
lecture's sync group (questions opened, closed and revealed, answers
recorded, the end), and who is connected through a ``PresenceBoard``; every
process then sends its own instructors the tally of its replica. Everything a
socket should see is published to groups; this module never touches a socket.
"""

import secrets
from functools import partial

import attrs
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from iclicker.domain.accounts import User, may_manage, require_teacher
from iclicker.domain.batch_writer import BatchWriter
from iclicker.domain.courses import Courses
from iclicker.domain.errors import Conflict, Invalid, NotFound, Unavailable
from iclicker.domain.lecture_values import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    closed_json,
    instructor_group,
    lecture_group,
    lecture_sync_group,
    parse_join_code,
    question_json,
    results_json,
    timer_json,
)
from iclicker.domain.live import LiveLecture, question_from_state, question_state
from iclicker.domain.presence import PresenceBoard
from iclicker.domain.question_kinds import (
    MAX_TIMER,
    check_accepted,
    correct_json,
    is_correct,
    normalise_text,
    stored_answer,
    wire_answer,
)
from iclicker.groups.interface import IGroupMember, IGroups
from iclicker.store.lectures import (
    CONFIDENCE_LEVELS,
    Answer,
    ClosedQuestion,
    JoinCodeTaken,
    LectureNotOpen,
    LectureRow,
    LectureStore,
    NewQuestion,
    NotTheLatest,
    QuestionRow,
)

TALLY_INTERVAL = 0.1
EXPIRY_RETRY = 1.0
"""Seconds before a timer whose close failed (database away) tries again."""
ATTENDANCE_RETRY = 5.0
"""Seconds before joins the database could not take are written again."""
MAX_UNRECORDED = 50_000
"""Joins kept for another try at most (a whole campus joining during an outage)."""


def _marked(current: tuple[str, ...], answer: str, wanted: bool | None) -> tuple[str, ...]:
    """A list of text answers with ``answer`` put in (True) or taken out (False)."""
    if wanted is None:
        return current
    key = normalise_text(answer)
    kept = [item for item in current if normalise_text(item) != key]
    return check_accepted([*kept, answer] if wanted else kept)


@attrs.define
class _Loading:
    """A lecture being read from the database: who waits for it, what others said meanwhile."""

    waiters: list[Deferred] = attrs.field(factory=list)
    changes: list[dict] = attrs.field(factory=list)


@implementer(IGroupMember)
class Lectures(Service):
    """Drives lectures for instructors and records students' answers.

    It is also the member of each open lecture's sync group in this process,
    receiving what the other processes changed.
    """

    log = Logger()

    def __init__(
        self,
        store: LectureStore,
        groups: IGroups,
        clock: IReactorTime,
        courses: Courses,
    ) -> None:
        self._store = store
        self._courses = courses
        self._writer = BatchWriter(store.store_answers)
        self._attendance = BatchWriter(store.record_attendance, busy="attendance is backlogged")
        self._unrecorded: list[tuple[int, int, float]] = []
        """Joins the database could not take yet (bounded by ``MAX_UNRECORDED``)."""
        self._attendance_retry: IDelayedCall | None = None
        self._stopped = False
        self._groups = groups
        self._clock = clock
        self._live: dict[int, LiveLecture] = {}
        self._loading: dict[int, _Loading] = {}
        self._presence = PresenceBoard(groups, clock, self._presence_changed)

    def startService(self) -> None:
        super().startService()
        self._presence.startService()
        Deferred.fromCoroutine(self._close_overdue()).addErrback(
            self.log.failure, "Closing questions whose timers ran out"
        )

    def stopService(self) -> Deferred:
        super().stopService()
        for live in self._live.values():
            self._cancel_calls(live)
        self._stopped = True
        if self._attendance_retry is not None:
            self._attendance_retry.cancel()
            self._write_unrecorded()  # a last try, drained below
        self._presence.stopService()
        return Deferred.fromCoroutine(self._drain())

    async def _drain(self) -> None:
        await self._writer.drain()
        await self._attendance.drain()

    # -- instructor operations ------------------------------------------------

    async def create(
        self,
        user: User,
        title: str,
        course_id: int | None = None,
        anonymous: bool = False,
        posts_anonymous: bool = False,
    ) -> LectureRow:
        require_teacher(user)
        if course_id is not None:
            await self._courses.owned(user, course_id)
        for _ in range(20):
            code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
            try:
                lecture = await self._store.create(
                    user.id,
                    title,
                    code,
                    self._clock.seconds(),
                    course_id,
                    anonymous,
                    posts_anonymous,
                )
            except JoinCodeTaken:
                continue
            self.log.info(
                "Lecture {lecture_id} started by user {user_id}",
                lecture_id=lecture.id,
                user_id=user.id,
            )
            return lecture
        raise Conflict("Could not find an unused join code; try again.")

    def now(self) -> float:
        """The lectures' clock: what time-left figures are computed against."""
        return self._clock.seconds()

    async def lecture(self, lecture_id: int) -> LectureRow:
        """A lecture by id, whoever asks (the caller checked the right to see it)."""
        lecture = await self._store.get(lecture_id)
        if lecture is None:
            raise NotFound("No such lecture.")
        return lecture

    async def lectures_of(self, user: User) -> list[LectureRow]:
        require_teacher(user)
        return await self._store.of_owner(None if user.role == "admin" else user.id)

    async def owned(self, user: User, lecture_id: int) -> LectureRow:
        """The lecture if ``user`` may drive it: students 403, others' lectures 404."""
        require_teacher(user)
        lecture = await self._store.get(lecture_id)
        if lecture is None or not may_manage(user, lecture.owner_id):
            raise NotFound("No such lecture.")
        return lecture

    async def overview(
        self, user: User, lecture_id: int
    ) -> tuple[LectureRow, QuestionRow | None, int]:
        """The lecture, its open question and how many students are connected."""
        lecture = await self.owned(user, lecture_id)
        live = await self._live_for(lecture.id)
        if live is None:
            return lecture, None, 0
        return live.lecture, live.question, self._presence.count(lecture_group(lecture.id))

    async def results(self, user: User, lecture_id: int) -> list[tuple[QuestionRow, dict]]:
        """Every question of the lecture with its results so far (``results_json``)."""
        await self.owned(user, lecture_id)
        await self._live_for(lecture_id)  # closes a question whose time ran out meanwhile
        questions = await self._store.questions(lecture_id)
        counts = await self._store.question_counts(lecture_id)
        return [(q, await self._results_of(q, counts.get(q.id, {}))) for q in questions]

    async def _results_of(self, question: QuestionRow, counts: dict[str, int]) -> dict:
        """What an instructor sees of a question: its results, every round's after several,
        and how sure students were against how right."""
        if question.round > 1 and question.status == "closed":
            results = closed_json(await self._store.closed_results(question))
        else:
            results = results_json(question, counts)
        if question.asks_confidence:
            results["confidence"] = await self._store.confidence(question.id)
        return results

    async def closed_results(self, closed: ClosedQuestion) -> dict:
        """A question just closed, for the instructor who closed it."""
        results = closed_json(closed)
        if closed.question.asks_confidence:
            results["confidence"] = await self._store.confidence(closed.question.id)
        return results

    async def ask(self, user: User, lecture_id: int, new: NewQuestion) -> QuestionRow:
        await self.owned(user, lecture_id)
        live = await self._live_for(lecture_id)
        if live is None:
            raise Conflict("The lecture has ended.")
        now = self._clock.seconds()
        try:
            previous, question = await self._store.ask(lecture_id, new, now)
        except LectureNotOpen:
            raise Conflict("The lecture has ended.") from None
        messages = [] if previous is None else [self._close_here(live, previous)]
        self._tell_others(live, {"type": "question", "question": question_state(question)})
        self._opened(live, question)
        messages.append({"type": "question", "question": question_json(question, False, now)})
        # The previous question's close and the new question: one write per socket.
        message = messages[0] if len(messages) == 1 else {"type": "batch", "messages": messages}
        self._groups.group_send(lecture_group(lecture_id), message)
        return question

    async def close(
        self, user: User, lecture_id: int, question_id: int, show_results: bool = True
    ) -> ClosedQuestion:
        """Close the open question; without ``show_results`` students (and the projector)
        are told it closed but not how the class answered, before another round."""
        lecture = await self.owned(user, lecture_id)
        question = await self._question_of(lecture_id, question_id)
        live = await self._live_for(lecture.id)
        closed = await self._store.close_question(
            question, self._clock.seconds(), hide_results=not show_results
        )
        if closed is None:
            raise Conflict("The question is not open.")
        self._publish_closed(lecture_id, live, closed)
        return closed

    async def next_round(
        self, user: User, lecture_id: int, question_id: int, timer: int | None = None
    ) -> QuestionRow:
        """Peer instruction: the closed latest question opens again, students answer afresh
        (round 1 is kept apart), and its final close shows every round side by side."""
        await self.owned(user, lecture_id)
        question = await self._question_of(lecture_id, question_id)
        if question.anonymous:
            raise Conflict("An anonymous poll has one round: its answers lost their students.")
        if question.status != "closed":
            raise Conflict("Close the question before starting its next round.")
        live = await self._live_for(lecture_id)
        if live is None:
            raise Conflict("The lecture has ended.")
        now = self._clock.seconds()
        try:
            question = await self._store.next_round(question, timer, now)
        except LectureNotOpen:
            raise Conflict("The lecture has ended.") from None
        except NotTheLatest:
            raise Conflict("Only the latest question, closed, can have another round.") from None
        self._tell_others(live, {"type": "question", "question": question_state(question)})
        self._opened(live, question)
        self._groups.group_send(
            lecture_group(lecture_id),
            {"type": "question", "question": question_json(question, False, now)},
        )
        return question

    async def add_time(
        self, user: User, lecture_id: int, question_id: int, seconds: int
    ) -> QuestionRow:
        """Give the open question more time (a timer from now if it had none)."""
        await self.owned(user, lecture_id)
        if isinstance(seconds, bool) or not 1 <= seconds <= MAX_TIMER:
            raise Invalid(f"Add 1 to {MAX_TIMER} seconds.")
        question = await self._question_of(lecture_id, question_id)
        live = await self._live_for(lecture_id)
        now = self._clock.seconds()
        deadline = await self._store.add_time(question_id, seconds, now)
        if deadline is None:
            raise Conflict("The question is not open.")
        if live is not None:
            self._tell_others(
                live, {"type": "timer", "question_id": question_id, "deadline": deadline}
            )
            self._timer_changed(live, question_id, deadline)
        self._groups.group_send(
            lecture_group(lecture_id),
            {"type": "question_timer", "question_id": question_id, **timer_json(deadline, now)},
        )
        return attrs.evolve(question, deadline=deadline)

    async def mark_answer(
        self,
        user: User,
        lecture_id: int,
        question_id: int,
        answer: str,
        accepted: bool | None,
        hidden: bool | None,
    ) -> QuestionRow:
        """Accept a text answer (exports and grades count it right) or hide it from the
        projected results, or undo either; open or closed questions alike."""
        await self.owned(user, lecture_id)
        question = await self._question_of(lecture_id, question_id)
        if question.kind != "text":
            raise Conflict("Only text answers are accepted or hidden one by one.")
        if not normalise_text(answer):
            raise Invalid("Which answer? The field 'answer' is empty.")
        accepted_answers = _marked(question.correct, answer, accepted)
        hidden_answers = _marked(question.hidden, answer, hidden)
        live = await self._live_for(lecture_id)
        judge = partial(is_correct, "text", accepted_answers, None)
        await self._store.mark_answers(question, accepted_answers, hidden_answers, judge)
        question = attrs.evolve(question, correct=accepted_answers, hidden=hidden_answers)
        change = {
            "type": "marked",
            "question_id": question_id,
            "accepted": list(accepted_answers),
            "hidden": list(hidden_answers),
        }
        results = None
        if live is not None:
            self._tell_others(live, dict(change))
            results = self._marked(live, question)
        self._groups.group_send(
            instructor_group(lecture_id), {**change, "type": "answers_marked", "results": results}
        )
        return question

    async def reveal(self, user: User, lecture_id: int, question_id: int) -> QuestionRow:
        """Show a closed question's correct answer on the projector (instructor sockets).

        Students learn the answer when the question closes; the room sees it
        only when the instructor chooses, so they can discuss first.
        """
        await self.owned(user, lecture_id)
        question = await self._question_of(lecture_id, question_id)
        if question.status == "open":
            raise Conflict("Close the question before revealing its answer.")
        if question.correct is None or question.correct == ():
            raise Conflict("This question has no correct answer to reveal.")
        live = await self._live_for(lecture_id)
        await self._store.reveal(question_id, self._clock.seconds())
        question = attrs.evolve(question, revealed=True)
        if live is not None:
            self._tell_others(live, {"type": "revealed", "question_id": question_id})
            self._revealed(live, question_id)
        self._groups.group_send(
            instructor_group(lecture_id),
            {
                "type": "answer_revealed",
                "question_id": question_id,
                "correct": correct_json(question.kind, question.correct),
            },
        )
        return question

    async def end(self, user: User, lecture_id: int) -> LectureRow:
        lecture = await self.owned(user, lecture_id)
        live = await self._live_for(lecture_id)
        ended, closed = await self._store.end(lecture_id, self._clock.seconds())
        if not ended:
            raise Conflict("The lecture has already ended.")
        if closed is not None:
            self._publish_closed(lecture_id, live, closed)
        if live is not None:
            self._tell_others(live, {"type": "ended"})
            self._forget(lecture_id)
        self._groups.group_send(
            lecture_group(lecture_id), {"type": "lecture_ended", "lecture_id": lecture_id}
        )
        self.log.info("Lecture {lecture_id} ended", lecture_id=lecture_id)
        return attrs.evolve(lecture, status="ended")

    async def attendance(self, user: User, lecture_id: int) -> list[tuple[str, str]]:
        """(username, display name) of every student who joined the lecture."""
        await self.owned(user, lecture_id)
        return await self._store.attendance(lecture_id)

    async def responses(self, user: User, lecture_id: int):
        await self.owned(user, lecture_id)
        await self._live_for(lecture_id)  # closes a question whose time ran out meanwhile
        return await self._store.responses(lecture_id)

    # -- the socket side --------------------------------------------------------

    async def open_by_code(self, join_code: str) -> LiveLecture | None:
        """The open lecture with this join code (any case), or None."""
        code = parse_join_code(join_code)
        if code is None:
            return None
        for live in self._live.values():
            if live.lecture.join_code == code:
                return live
        lecture = await self._store.by_code(code)
        if lecture is None or lecture.status != "open":
            return None
        return await self._live_for(lecture.id)

    async def ended_by_code(self, join_code: str) -> LectureRow | None:
        """The ended lecture with this join code, to tell a late student so."""
        code = parse_join_code(join_code)
        if code is None:
            return None
        lecture = await self._store.by_code(code)
        return lecture if lecture is not None and lecture.status == "ended" else None

    async def admits(self, user: User, live: LiveLecture) -> bool:
        """May ``user`` join this lecture? A course's roster gates its students only."""
        course_id = live.lecture.course_id
        if course_id is None or self.role_of(user, live.lecture) == "instructor":
            return True
        return await self._courses.admits(course_id, user.username)

    def live(self, lecture_id: int) -> LiveLecture | None:
        """The lecture's live state if it is still open."""
        return self._live.get(lecture_id)

    @staticmethod
    def role_of(user: User, lecture: LectureRow) -> str:
        """Owners and admins drive a lecture; everyone else takes part as a student."""
        return "instructor" if user.id == lecture.owner_id or user.role == "admin" else "student"

    def connected(self, live: LiveLecture, user_id: int, role: str) -> None:
        """Count a student in (and as attending); an instructor gets a fresh tally either way.

        Joining the open lecture's socket is the attendance signal (from the
        campus network, with ``--allow-net``); it is written in batches, and
        a student reconnecting after a crash is recorded again.
        """
        if role == "student" and self._presence.add(lecture_group(live.lecture.id), user_id):
            self._record_attendance(live.lecture.id, user_id)
        self._schedule_tally(live)

    def disconnected(self, live: LiveLecture, user_id: int, role: str) -> None:
        """A socket went away; one of a replica since replaced (or ended) counts no more."""
        if role != "student" or self._live.get(live.lecture.id) is not live:
            return
        if self._presence.remove(lecture_group(live.lecture.id), user_id):
            self._schedule_tally(live)

    def forget_all(self) -> None:
        """Drop every replica, to be loaded afresh (after missing the others' changes)."""
        for lecture_id in list(self._live):
            self._forget(lecture_id)

    def _record_attendance(self, lecture_id: int, user_id: int) -> None:
        self._write_attendance((lecture_id, user_id, self._clock.seconds()))

    def _write_attendance(self, join: tuple[int, int, float]) -> None:
        try:
            written = self._attendance.record(join)
        except Unavailable as busy:
            self._attendance_later(join, busy.message)
            return
        written.addErrback(self._attendance_failed, join)

    def _attendance_failed(self, failure: Failure, join: tuple[int, int, float]) -> None:
        if failure.check(Unavailable):
            self._attendance_later(join, failure.getErrorMessage())
        else:
            self.log.failure("Recording attendance", failure)

    def _attendance_later(self, join: tuple[int, int, float], why: str) -> None:
        """Keep a join the database could not take (down, or the backlog full) and write it
        again soon, with its own time: a student who joined during an outage still attended."""
        if len(self._unrecorded) >= MAX_UNRECORDED or self._stopped:
            self.log.warn("Attendance not recorded: {why}", why=why)
            return
        if not self._unrecorded:
            self.log.warn(
                "Attendance not recorded yet, again in {seconds} s: {why}",
                seconds=ATTENDANCE_RETRY,
                why=why,
            )
        self._unrecorded.append(join)
        if self._attendance_retry is None:
            self._attendance_retry = self._clock.callLater(ATTENDANCE_RETRY, self._write_unrecorded)

    def _write_unrecorded(self) -> None:
        self._attendance_retry = None
        joins, self._unrecorded = self._unrecorded, []
        for join in joins:
            self._write_attendance(join)

    async def answer(
        self,
        live: LiveLecture,
        user_id: int,
        question_id: int,
        value,
        confidence: str | None = None,
    ) -> object:
        """Record a student's answer (and how sure they are, if the question asks);
        returns the answer as recorded once it is committed.

        The answer is checked against the replica's open question, or, for
        one this replica has not heard of yet (asked through another
        process a moment ago), against the database; the commit itself
        refuses answers to a question that is no longer open, or past its
        deadline.
        """
        question = live.question
        if question is None or question.id != question_id:
            question = await self._store.question(question_id)
            if question is None or question.lecture_id != live.lecture.id:
                raise Invalid("There is no such question in this lecture.", "unknown_question")
            if question.status != "open":
                raise Conflict("That question is closed.", "question_closed")
        stored = stored_answer(question.kind, question.choices, value)
        correct = is_correct(question.kind, question.correct, question.tolerance, stored)
        if not question.asks_confidence:
            confidence = None
        elif confidence is not None and confidence not in CONFIDENCE_LEVELS:
            raise Invalid("Confidence is low, medium or high.", "invalid_answer")
        now = self._clock.seconds()
        if question.deadline is not None and now >= question.deadline:
            raise Conflict("That question is closed.", "question_closed")
        answer = Answer(question_id, user_id, stored, now, correct, confidence)
        if not await self._writer.record(answer):
            raise Conflict("That question is closed.", "question_closed")
        if live.question is not None and live.question.id == question_id:
            live.record(user_id, stored, confidence)
            live.untold.append((user_id, stored, confidence))
            self._schedule_tally(live)
        return wire_answer(question.kind, stored)

    # -- what the other processes changed ---------------------------------------------

    def deliver(self, message: dict, encoded: object) -> None:
        """A change made through another process, to this process's replica."""
        lecture_id = message["lecture_id"]
        loading = self._loading.get(lecture_id)
        if loading is not None:
            loading.changes.append(message)
            return
        live = self._live.get(lecture_id)
        if live is not None:
            self._apply(live, message)

    def _apply(self, live: LiveLecture, change: dict) -> None:
        kind = change["type"]
        if kind == "answers":
            if live.question is not None and live.question.id == change["question_id"]:
                for user_id, choice, confidence in change["answers"]:
                    live.record(user_id, choice, confidence)
                self._schedule_tally(live)
        elif kind == "question":
            self._opened(live, question_from_state(change["question"]))
        elif kind == "closed":
            question = question_from_state(change["question"])
            rounds = tuple((number, counts) for number, counts in change["earlier_rounds"])
            self._closed(live, ClosedQuestion(question, change["counts"], rounds, change["moved"]))
            self._schedule_tally(live)
        elif kind == "revealed":
            self._revealed(live, change["question_id"])
        elif kind == "timer":
            self._timer_changed(live, change["question_id"], change["deadline"])
        elif kind == "marked":
            question = live.question
            if question is None or question.id != change["question_id"]:
                question = live.last_closed.question if live.last_closed else None
            if question is not None and question.id == change["question_id"]:
                self._marked(
                    live,
                    attrs.evolve(
                        question,
                        correct=tuple(change["accepted"]),
                        hidden=tuple(change["hidden"]),
                    ),
                )
        elif kind == "ended":
            self._forget(live.lecture.id)

    def _tell_others(self, live: LiveLecture, change: dict) -> None:
        """Tell the other processes' replicas, answers recorded here first."""
        self._tell_answers(live)
        change["lecture_id"] = live.lecture.id
        self._groups.others_send(lecture_sync_group(live.lecture.id), change)

    def _tell_answers(self, live: LiveLecture) -> None:
        if live.untold and live.question is not None:
            answers, live.untold = live.untold, []
            self._groups.others_send(
                lecture_sync_group(live.lecture.id),
                {
                    "type": "answers",
                    "lecture_id": live.lecture.id,
                    "question_id": live.question.id,
                    "answers": answers,
                },
            )

    def _presence_changed(self, topic: str) -> None:
        live = self._live.get(int(topic.rsplit(":", 1)[1]))
        if live is not None:
            self._schedule_tally(live)

    # -- internals --------------------------------------------------------------

    async def _question_of(self, lecture_id: int, question_id: int) -> QuestionRow:
        question = await self._store.question(question_id)
        if question is None or question.lecture_id != lecture_id:
            raise NotFound("No such question.")
        return question

    async def _live_for(self, lecture_id: int) -> LiveLecture | None:
        """The cached live state of an open lecture (None once ended).

        After a restart a whole lecture hall reconnects at once; the first
        caller loads from the database and the others wait for that load.
        """
        live = self._live.get(lecture_id)
        if live is not None:
            return live
        loading = self._loading.get(lecture_id)
        if loading is not None:
            waiter: Deferred = Deferred()
            loading.waiters.append(waiter)
            return await waiter
        # Listen before reading, so no change made elsewhere falls in between.
        self._loading[lecture_id] = loading = _Loading()
        self._groups.group_add(lecture_sync_group(lecture_id), self)
        try:
            state = await self._store.live_state(lecture_id, self._clock.seconds())
        except BaseException:
            failure = Failure()
            self._groups.group_discard(lecture_sync_group(lecture_id), self)
            for waiter in self._loading.pop(lecture_id).waiters:
                waiter.errback(failure)
            raise
        del self._loading[lecture_id]
        if state is None:
            self._groups.group_discard(lecture_sync_group(lecture_id), self)
        else:
            live = LiveLecture(
                state.lecture,
                state.question,
                state.answers,
                state.confidences,
                last_closed=state.last_closed,
            )
            self._live[lecture_id] = live
            self._presence.watch(lecture_group(lecture_id))
            self._start_timer(live)
            if state.expired is not None:
                # Its timer ran out while no process watched: tell whoever is listening.
                self._publish_closed(lecture_id, live, state.expired)
            for change in loading.changes:
                if self._live.get(lecture_id) is live:
                    self._apply(live, change)
        for waiter in loading.waiters:
            waiter.callback(live)
        return live

    def _forget(self, lecture_id: int) -> None:
        live = self._live.pop(lecture_id, None)
        if live is None:
            return
        self._cancel_calls(live)
        self._groups.group_discard(lecture_sync_group(lecture_id), self)
        self._presence.forget(lecture_group(lecture_id))

    def _opened(self, live: LiveLecture, question: QuestionRow) -> None:
        self._cancel_timer(live)
        live.open(question, {})
        live.last_closed = None
        self._start_timer(live)
        self._schedule_tally(live)

    def _closed(self, live: LiveLecture, closed: ClosedQuestion) -> None:
        if live.question is not None and live.question.id == closed.question.id:
            self._cancel_timer(live)
            live.open(None, {})
            live.last_closed = closed

    @staticmethod
    def _revealed(live: LiveLecture, question_id: int) -> None:
        closed = live.last_closed
        if closed is not None and closed.question.id == question_id:
            question = attrs.evolve(closed.question, revealed=True)
            live.last_closed = attrs.evolve(closed, question=question)

    def _marked(self, live: LiveLecture, question: QuestionRow) -> dict | None:
        """Put a text question's new marks in the replica; its results if it is the
        latest closed question (what the projector shows)."""
        if live.question is not None and live.question.id == question.id:
            live.question = question
            self._schedule_tally(live)
            return None
        closed = live.last_closed
        if closed is not None and closed.question.id == question.id:
            live.last_closed = attrs.evolve(closed, question=question)
            return results_json(question, closed.counts)
        return None

    # -- timers -------------------------------------------------------------------

    def _start_timer(self, live: LiveLecture) -> None:
        """Close the open question at its deadline; every process with a replica does this,
        and the database's conditional close lets exactly one of them succeed."""
        question = live.question
        if question is None or question.deadline is None:
            return
        delay = max(0.0, question.deadline - self._clock.seconds())
        live.timer_call = self._clock.callLater(delay, self._expire, live, question)

    def _timer_changed(self, live: LiveLecture, question_id: int, deadline: float) -> None:
        if live.question is not None and live.question.id == question_id:
            self._cancel_timer(live)
            live.question = attrs.evolve(live.question, deadline=deadline)
            self._start_timer(live)

    def _expire(self, live: LiveLecture, question: QuestionRow) -> None:
        live.timer_call = None
        Deferred.fromCoroutine(self._close_when_due(live, question))

    async def _close_when_due(self, live: LiveLecture, question: QuestionRow) -> None:
        lecture_id = live.lecture.id
        try:
            closed = await self._store.close_question(question, self._clock.seconds(), due=True)
        except Exception as error:
            # The database is away: try again, or another process will.
            self.log.warn(
                "Closing question {question_id} at its deadline failed: {error}",
                question_id=question.id,
                error=error,
            )
            if self._live.get(lecture_id) is live and live.question is question:
                live.timer_call = self._clock.callLater(EXPIRY_RETRY, self._expire, live, question)
            return
        if closed is not None:
            self.log.info("Question {question_id} timed out", question_id=question.id)
            self._publish_closed(lecture_id, self._live.get(lecture_id), closed)

    async def _close_overdue(self) -> None:
        """Close the questions whose timers ran out while no process was running."""
        now = self._clock.seconds()
        for question in await self._store.overdue_questions(now):
            closed = await self._store.close_question(question, now, due=True)
            if closed is not None:
                self._publish_closed(
                    question.lecture_id, self._live.get(question.lecture_id), closed
                )

    def _cancel_timer(self, live: LiveLecture) -> None:
        if live.timer_call is not None and live.timer_call.active():
            live.timer_call.cancel()
        live.timer_call = None

    # -- publishing ----------------------------------------------------------------

    def _publish_closed(
        self, lecture_id: int, live: LiveLecture | None, closed: ClosedQuestion
    ) -> None:
        """Tell every socket of the lecture (and every replica) that a question closed."""
        if live is not None:
            message = self._close_here(live, closed)
            self._schedule_tally(live)
        else:
            self._groups.others_send(
                lecture_sync_group(lecture_id), self._closed_change(lecture_id, closed)
            )
            message = _question_closed(closed)
        self._groups.group_send(lecture_group(lecture_id), message)

    def _close_here(self, live: LiveLecture, closed: ClosedQuestion) -> dict:
        """Close the question in every replica; the ``question_closed`` message for sockets."""
        self._tell_others(live, self._closed_change(live.lecture.id, closed))
        self._closed(live, closed)
        return _question_closed(closed)

    @staticmethod
    def _closed_change(lecture_id: int, closed: ClosedQuestion) -> dict:
        return {
            "type": "closed",
            "lecture_id": lecture_id,
            "question": question_state(closed.question),
            "counts": closed.counts,
            "earlier_rounds": closed.earlier_rounds,
            "moved": closed.moved,
        }

    def _schedule_tally(self, live: LiveLecture) -> None:
        """Send the instructors a tally soon, folding every change until then into it."""
        if live.tally_call is None:
            live.tally_call = self._clock.callLater(TALLY_INTERVAL, self._send_tally, live)

    def _send_tally(self, live: LiveLecture) -> None:
        """Tell the others this process's new answers; show this process's instructors the
        replica's tally (every process does the same for its own)."""
        live.tally_call = None
        self._tell_answers(live)
        present = self._presence.count(lecture_group(live.lecture.id))
        self._groups.local_send(instructor_group(live.lecture.id), live.tally_message(present))

    def _cancel_calls(self, live: LiveLecture) -> None:
        self._cancel_timer(live)
        if live.tally_call is not None and live.tally_call.active():
            live.tally_call.cancel()
        live.tally_call = None


def _question_closed(closed: ClosedQuestion) -> dict:
    """What every socket of the lecture is told. A question closed before another round
    says only that; otherwise the results (every round's, after several)."""
    question = closed.question
    if question.results_hidden:
        return {
            "type": "question_closed",
            "question_id": question.id,
            "round": question.round,
            "results_hidden": True,
        }
    message = {
        "type": "question_closed",
        "question_id": question.id,
        **closed_json(closed, for_students=True),
        "correct": correct_json(question.kind, question.correct),
    }
    if question.tolerance is not None:
        message["tolerance"] = question.tolerance
    return message
