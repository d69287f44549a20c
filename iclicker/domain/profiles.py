"""A user's own profile: the photo (processed off the reactor) and its file on disk."""

from iclicker.domain.accounts import User
from iclicker.domain.courses import RunInThread
from iclicker.domain.photos import PhotoFiles, process_photo
from iclicker.store.users import UserStore


class Profiles:
    def __init__(self, users: UserStore, files: PhotoFiles, run_in_thread: RunInThread) -> None:
        self._users = users
        self._files = files
        self._run_in_thread = run_in_thread

    async def set_photo(self, user: User, data: bytes) -> User:
        """Verify, re-encode and store a new photo; on any failure the old one stays."""
        photo = await self._run_in_thread(process_photo, data)
        name = await self._run_in_thread(self._files.save, photo)
        return await self._replace(user, name)

    async def delete_photo(self, user: User) -> User:
        return await self._replace(user, None)

    async def _replace(self, user: User, name: str | None) -> User:
        previous = await self._users.set_photo(user.id, name)
        if previous and previous != name:
            await self._run_in_thread(self._files.delete, previous)
        return User.from_row(await self._users.by_username(user.username))
