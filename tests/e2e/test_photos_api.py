"""Profile photos over real sockets: upload, replace, delete; bad images change nothing."""

import io
import os

import pytest_twisted
from PIL import Image
from support import User, body_of

UPLOAD = {"X-Requested-With": ["iclicker"]}


def jpeg(size=(800, 600), colour="teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


async def upload(user: User, content: bytes, headers=UPLOAD):
    return await user.request(
        "POST",
        "/api/me/photo",
        files={"file": ("me.jpg", "image/jpeg", io.BytesIO(content))},
        headers=headers,
    )


@pytest_twisted.ensureDeferred
async def test_upload_replace_delete_and_bad_images_keep_the_old_photo(server):
    user = User(server)
    assert (await user.register("ada"))["photo_url"] is None
    first = body_of(await upload(user, jpeg()))["user"]["photo_url"]
    photo = await User(server).get(first)  # no session needed
    assert photo.code == 200
    assert photo.headers.getRawHeaders("content-type") == ["image/jpeg"]
    assert photo.headers.getRawHeaders("x-content-type-options") == ["nosniff"]
    assert "immutable" in photo.headers.getRawHeaders("cache-control")[0]
    assert Image.open(io.BytesIO(photo.body)).size == (256, 192)

    for bad in [b"<?php echo 1; ?>", jpeg()[:500], b""]:
        response = await upload(user, bad)
        assert (response.code, body_of(response)["error"]["code"]) == (400, "invalid_image")
    assert body_of(await user.get("/api/me"))["user"]["photo_url"] == first
    assert (await User(server).get(first)).code == 200
    response = await upload(user, jpeg() + b"\0" * (5 * 1024 * 1024))
    assert (response.code, body_of(response)["error"]["code"]) == (413, "too_large")
    exactly_5_mib = jpeg() + b"\0" * (5 * 1024 * 1024 - len(jpeg()))  # trailing bytes are ignored
    assert len(exactly_5_mib) == 5 * 1024 * 1024
    response = await upload(user, exactly_5_mib)
    assert response.code == 200, "the contract allows 5 MiB, multipart framing included"
    first = body_of(response)["user"]["photo_url"]
    assert (await upload(user, jpeg(), headers={})).code == 403

    second = body_of(await upload(user, jpeg(colour="gold")))["user"]["photo_url"]
    assert second != first
    assert (await User(server).get(first)).code == 404, "the replaced file is deleted"
    photos = server.db_path + ".photos"
    assert os.listdir(photos) == [second.rsplit("/", 1)[1]]
    response = await user.request(
        "DELETE", "/api/me/photo", headers={"Content-Type": ["application/json"]}
    )
    assert body_of(response)["user"]["photo_url"] is None
    assert os.listdir(photos) == []
    assert (await User(server).get("/photos/../iclicker.sqlite3")).code == 404
