"""The composition root: builds every part of the server from a Config and a reactor."""

from twisted.application import strports
from twisted.application.service import IService, MultiService, Service
from twisted.web.server import Site

from iclicker.auth.passwords import PasswordHasher
from iclicker.auth.sessions import Sessions
from iclicker.config import Config
from iclicker.domain.accounts import Accounts
from iclicker.secret import load_or_create_secret, secret_path
from iclicker.store.db import Database, prepare
from iclicker.store.sessions import SessionStore
from iclicker.store.users import UserStore
from iclicker.web.api import AccountsApi
from iclicker.web.csrf import CsrfTokens
from iclicker.web.guards import Guards
from iclicker.web.http import LimitedRequest
from iclicker.web.pagekit import PageKit
from iclicker.web.pages import AccountPages
from iclicker.web.site import Root
from iclicker.web.templating import Templates


class DatabaseService(Service):
    """Closes the database pool when the server stops, after the sockets are gone."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def stopService(self) -> None:
        super().stopService()
        self._database.close()


def build_service(config: Config, reactor) -> IService:
    """Everything ``twistd iclicker`` runs, as one MultiService.

    The schema is migrated here, synchronously and before the reactor runs,
    so no request ever sees a half-upgraded database.
    """
    prepare(config.db_path)
    secret = load_or_create_secret(secret_path(config.db_path))

    root = MultiService()
    database = Database(config.db_path, reactor)
    DatabaseService(database).setServiceParent(root)
    hasher = PasswordHasher(reactor, config.bcrypt_rounds)
    hasher.setServiceParent(root)

    guards = Guards(config)
    session_store = SessionStore(database)
    sessions = Sessions(session_store, reactor)
    accounts = Accounts(UserStore(database), session_store, hasher, reactor)
    kit = PageKit(Templates(), CsrfTokens(secret, guards), sessions, guards)

    site_root = Root(
        database,
        api=AccountsApi(accounts, sessions, guards).app.resource(),
        pages=AccountPages(kit, accounts, sessions, guards).app.resource(),
    )
    site = Site(site_root.app.resource(), reactor=reactor)
    site.requestFactory = LimitedRequest
    site.displayTracebacks = False
    http = strports.service(config.port, site, reactor=reactor)
    http.setName("http")
    http.setServiceParent(root)
    return root
