"""The signed-in user's photo: upload and delete; and the photos themselves, served."""

import re

from klein import Klein
from twisted.web.resource import IResource
from twisted.web.server import Request
from twisted.web.static import File

from iclicker.auth.sessions import Sessions
from iclicker.domain.errors import NotFound
from iclicker.domain.photos import CONTENT_TYPES, MAX_PHOTO_BYTES, PhotoFiles
from iclicker.domain.profiles import Profiles
from iclicker.web.cookies import authenticated_user
from iclicker.web.guards import Guards
from iclicker.web.http import add_route, check_json_write, json_response
from iclicker.web.uploads import upload_write

PHOTO_NAME = re.compile(r"[A-Za-z0-9_-]{24}\.(jpg|png|webp)")


class ProfileApi:
    def __init__(
        self,
        profiles: Profiles,
        files: PhotoFiles,
        sessions: Sessions,
        guards: Guards,
        run_in_thread,
    ) -> None:
        self._profiles = profiles
        self._files = files
        self._sessions = sessions
        self._guards = guards
        self._run_in_thread = run_in_thread

    def install(self, app: Klein) -> None:
        add_route(app, "/api/me/photo", self.upload, ["POST"])
        add_route(app, "/api/me/photo", self.delete, ["DELETE"])
        add_route(app, "/photos/<name>", self.photo, ["GET", "HEAD"])

    async def upload(self, request: Request) -> bytes:
        user, upload = await upload_write(
            request, self._guards, self._sessions, self._run_in_thread, MAX_PHOTO_BYTES, "The photo"
        )
        user = await self._profiles.set_photo(user, upload.file)
        return json_response(request, 200, {"user": user.as_json()})

    async def delete(self, request: Request) -> bytes:
        check_json_write(request, self._guards)
        user = await authenticated_user(request, self._sessions)
        user = await self._profiles.delete_photo(user)
        return json_response(request, 200, {"user": user.as_json()})

    def photo(self, request: Request, name: str) -> IResource:
        """A photo by its random name: no session needed, cached for a year (names never change)."""
        match = PHOTO_NAME.fullmatch(name)
        path = self._files.directory / name
        if match is None or not path.is_file():
            raise NotFound("No such photo.")
        request.setHeader(b"cache-control", b"public, max-age=31536000, immutable")
        resource = File(str(path), defaultType=CONTENT_TYPES[match.group(1)].decode())
        resource.contentTypes = {f".{ext}": t.decode() for ext, t in CONTENT_TYPES.items()}
        return resource
