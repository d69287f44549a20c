"""The composition root: builds every part of the server from a Config and a reactor."""

from functools import partial
from pathlib import Path

from autobahn.twisted.resource import WebSocketResource
from twisted.application import strports
from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.web.server import Site

from iclicker.auth.passwords import PasswordHasher
from iclicker.auth.sessions import Sessions, Sweeper
from iclicker.config import Config
from iclicker.domain.accounts import Accounts
from iclicker.domain.admin import DisabledWatcher, SiteAdmin
from iclicker.domain.channels import Channels
from iclicker.domain.conversations import Conversations
from iclicker.domain.courses import Courses
from iclicker.domain.lectures import Lectures
from iclicker.domain.photos import PhotoFiles
from iclicker.domain.posts import Posts
from iclicker.domain.profiles import Profiles
from iclicker.domain.rooms import Rooms
from iclicker.groups.interface import IGroups
from iclicker.groups.memory import MemoryGroups
from iclicker.groups.redis import RedisAddress, RedisGroups
from iclicker.secret import server_secret
from iclicker.store.chat import ChatStore
from iclicker.store.courses import CourseStore
from iclicker.store.db import Database, prepare
from iclicker.store.lectures import LectureStore
from iclicker.store.posts import PostStore
from iclicker.store.sessions import SessionStore
from iclicker.store.users import UserStore
from iclicker.threads import BackgroundPool
from iclicker.web.admin_api import AdminApi
from iclicker.web.api import AccountsApi
from iclicker.web.chat_api import ChatApi
from iclicker.web.chat_pages import ChatPages
from iclicker.web.course_pages import CoursePages
from iclicker.web.courses_api import CoursesApi
from iclicker.web.csrf import CsrfTokens
from iclicker.web.errors import ErrorResource, error_response, install_error_handlers
from iclicker.web.gate import Gate
from iclicker.web.guards import Guards
from iclicker.web.http import make_app
from iclicker.web.lecture_pages import LecturePages
from iclicker.web.lectures_api import LecturesApi
from iclicker.web.openapi import ApiDescription, load_description
from iclicker.web.pagekit import PageKit
from iclicker.web.pages import AccountPages
from iclicker.web.posts_api import PostsApi
from iclicker.web.profile_api import ProfileApi
from iclicker.web.profile_pages import ProfilePages
from iclicker.web.request import IDLE_TIMEOUT, IclickerRequest
from iclicker.web.site import CoreRoutes
from iclicker.web.templating import Templates
from iclicker.ws.chat_sockets import Chat, ConversationSocket, InboxSocket, RoomSocket
from iclicker.ws.factory import ConnectionTracker, SocketFactory, SocketsService
from iclicker.ws.lecture_socket import LectureHall, LectureSocket
from iclicker.ws.messages import prepared_frame
from iclicker.ws.socket import SocketContext


class DatabaseService(Service):
    """Closes the database pool when the server stops."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def stopService(self) -> None:
        super().stopService()
        self._database.close()


class OrderedStop(MultiService):
    """A MultiService that stops its children one at a time, last added first.

    MultiService stops children all at once; here the listening port closes
    first, then the sockets, then pending answers are written, and only then
    does the database close.
    """

    def stopService(self) -> Deferred:
        Service.stopService(self)
        return Deferred.fromCoroutine(self._stop_in_order())

    async def _stop_in_order(self) -> None:
        for child in reversed(list(self)):
            await maybeDeferred(child.stopService)


def _group_registry(config: Config, reactor) -> tuple[IGroups, RedisGroups | None]:
    """In-process groups, or Redis-backed ones shared with other processes (``--redis``)."""
    if config.redis_url is None:
        return MemoryGroups(prepared_frame), None
    redis = RedisGroups(prepared_frame, RedisAddress.parse(config.redis_url), reactor)
    return redis, redis


def build_service(config: Config, reactor) -> MultiService:
    """Everything ``twistd iclicker`` runs, as one service.

    The schema is migrated here, synchronously and before the reactor runs,
    so no request ever sees a half-upgraded database.
    """
    prepare(config.db_path)
    secret = server_secret(config.db_path)

    root = OrderedStop()
    database = Database(config.db_path, reactor)
    DatabaseService(database).setServiceParent(root)
    hasher = PasswordHasher(reactor, config.bcrypt_rounds)
    hasher.setServiceParent(root)

    guards = Guards(config)
    session_store = SessionStore(database)
    sessions = Sessions(session_store, reactor)
    Sweeper(session_store, reactor).setServiceParent(root)
    user_store = UserStore(database)
    accounts = Accounts(user_store, session_store, hasher, reactor)
    groups, redis = _group_registry(config, reactor)
    if redis is not None:
        redis.setServiceParent(root)
    site_admin = SiteAdmin(user_store, groups, reactor)
    DisabledWatcher(user_store, groups, reactor).setServiceParent(root)

    # Uploads, spreadsheets and photos: two low-priority threads, a bounded queue.
    uploads = BackgroundPool(
        reactor, "uploads", 2, 64, "The server is busy with uploads; try again in a moment."
    )
    uploads.setServiceParent(root)
    run_in_thread = uploads.run

    courses = Courses(CourseStore(database), run_in_thread, reactor, groups)
    lectures = Lectures(LectureStore(database), groups, reactor, courses)
    lectures.setServiceParent(root)
    posts = Posts(PostStore(database), user_store, lectures, groups, reactor)
    posts.setServiceParent(root)

    chat_store = ChatStore(database)
    channels = Channels(chat_store, groups, reactor)
    channels.setServiceParent(root)
    chat = Chat(
        Rooms(chat_store, channels, groups, hasher, reactor),
        Conversations(chat_store, user_store, channels, groups, reactor),
        channels,
    )

    tracker = ConnectionTracker()
    context = SocketContext(reactor, sessions, groups, tracker, config.max_send_buffer)
    sockets = {
        "lectures": SocketFactory(LectureSocket, context, LectureHall(lectures, posts)),
        "rooms": SocketFactory(RoomSocket, context, chat),
        "dm": SocketFactory(ConversationSocket, context, chat),
        "contacts": SocketFactory(InboxSocket, context, chat),
    }
    sockets_service = SocketsService(tracker, reactor)
    sockets_service.setServiceParent(root)
    if redis is not None:
        # Changes made elsewhere while Redis was away never reached this
        # process (or this process's never reached the others): clients
        # reconnect and get a fresh hello.
        redis.on_resync(sockets_service.reconnect_everyone)
        redis.on_resync(lectures.forget_all)
        redis.on_resync(posts.forget_all)
        redis.on_resync(chat.rooms.forget_member_lists)

    kit = PageKit(Templates(), CsrfTokens(secret, guards), sessions)
    app = make_app()
    not_found = ErrorResource(kit, 404, "not_found", "There is nothing at this address.")
    websockets = {name: WebSocketResource(factory) for name, factory in sockets.items()}
    core_routes = CoreRoutes(database, websockets, guards, not_found, redis)
    core_routes.install(app)
    AccountsApi(accounts, sessions, guards).install(app)
    LecturesApi(lectures, sessions, guards).install(app)
    PostsApi(posts, sessions, guards).install(app)
    CoursesApi(courses, sessions, guards, run_in_thread).install(app)
    AdminApi(site_admin, sessions, guards).install(app)
    ChatApi(chat.rooms, chat.conversations, sessions, guards).install(app)
    photo_files = PhotoFiles(Path(config.photos_dir))
    profiles = Profiles(user_store, photo_files, run_in_thread)
    ProfileApi(profiles, photo_files, sessions, guards, run_in_thread).install(app)
    ProfilePages(kit).install(app)
    AccountPages(kit, accounts, sessions, guards).install(app)
    LecturePages(kit, lectures).install(app)
    CoursePages(kit, courses).install(app)
    ChatPages(kit, chat.rooms, chat.conversations).install(app)
    ApiDescription(load_description()).install(app)
    install_error_handlers(app, kit)
    root.app = app  # for tests that compare the routes with docs/openapi.yaml

    # Forms and uploads are parsed by the routes that take them, after their
    # checks, never by Twisted for every request on the reactor thread.
    site = Site(
        Gate(app.resource(), guards, partial(error_response, kit), core_routes.websocket),
        requestFactory=IclickerRequest,
        reactor=reactor,
        timeout=IDLE_TIMEOUT,
        parsePOSTFormSubmission=False,
    )
    site.displayTracebacks = False
    http = strports.service(config.port, site, reactor=reactor)
    http.setName("http")
    http.setServiceParent(root)
    return root
