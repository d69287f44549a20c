"""The site's error handlers: JSON under /api, friendly pages elsewhere, never a traceback."""

import json

from klein import Klein
from treq.testing import StubTreq
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from iclicker.config import Config
from iclicker.domain.errors import Forbidden, NotAuthenticated
from iclicker.web.csrf import CsrfTokens
from iclicker.web.errors import install_error_handlers
from iclicker.web.guards import Guards
from iclicker.web.pagekit import PageKit
from iclicker.web.templating import Templates


def build_app() -> Klein:
    app = Klein()
    guards = Guards(Config())
    kit = PageKit(Templates(), CsrfTokens(b"k" * 64, guards), sessions=None)

    @app.route("/api/boom")
    def api_boom(request):
        raise ZeroDivisionError("secret detail")

    @app.route("/boom")
    def page_boom(request):
        raise ZeroDivisionError("secret detail")

    @app.route("/private")
    def private(request):
        raise NotAuthenticated("Log in first.")

    @app.route("/api/private")
    def api_private(request):
        raise NotAuthenticated("Log in first.")

    @app.route("/staff")
    def staff(request):
        raise Forbidden("Only instructors can do that.")

    install_error_handlers(app, kit)
    return app


class ErrorHandlerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.client = StubTreq(build_app().resource())
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.logged.append)

    def fetch(self, path: str):
        response = self.successResultOf(
            self.client.get("http://example.test" + path, allow_redirects=False)
        )
        return response, self.successResultOf(response.content())

    def test_unexpected_api_error_is_json_500_and_logged(self):
        """A bug under /api answers internal_error and logs the failure, without details."""
        response, body = self.fetch("/api/boom")
        self.assertEqual(response.code, 500)
        self.assertEqual(json.loads(body)["error"]["code"], "internal_error")
        self.assertNotIn(b"secret detail", body)
        self.assertTrue(any(event.get("log_failure") for event in self.logged))
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

    def test_unexpected_page_error_is_a_friendly_500_page(self):
        """A bug on a page shows the error page, not a traceback."""
        response, body = self.fetch("/boom")
        self.assertEqual(response.code, 500)
        self.assertIn(b"Something went wrong", body)
        self.assertNotIn(b"Traceback", body)
        self.assertNotIn(b"secret detail", body)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

    def test_anonymous_page_visit_redirects_but_api_says_401(self):
        """Pages send anonymous visitors to login (with next); the API answers 401 JSON."""
        response, _ = self.fetch("/private?tab=2")
        self.assertEqual(response.code, 303)
        self.assertEqual(
            response.headers.getRawHeaders("location"), ["/login?next=%2Fprivate%3Ftab%3D2"]
        )
        response, body = self.fetch("/api/private")
        self.assertEqual(response.code, 401)
        self.assertEqual(json.loads(body)["error"]["code"], "not_authenticated")

    def test_forbidden_page_is_403(self):
        """A refused page explains itself with status 403."""
        response, body = self.fetch("/staff")
        self.assertEqual(response.code, 403)
        self.assertIn(b"Only instructors can do that.", body)
