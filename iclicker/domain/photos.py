"""Profile photos: verified and re-encoded with Pillow, off the reactor thread.

An upload is opened, checked (JPEG, PNG or WebP only; at most 40 megapixels,
declared before any pixel is decoded, so a decompression bomb costs
nothing), turned upright by its EXIF orientation, scaled to fit 256x256
(never enlarged) and saved anew without any metadata (EXIF GPS included).
Only what Pillow wrote is ever served.
"""

import io
import os
import secrets
from pathlib import Path

import attrs
from PIL import Image, ImageOps, UnidentifiedImageError

from iclicker.domain.errors import Invalid

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
SIZE = (256, 256)
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"jpg": b"image/jpeg", "png": b"image/png", "webp": b"image/webp"}

# Pillow's own bomb guard, set explicitly: above it Image.open raises.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class InvalidImage(Invalid):
    code = "invalid_image"


@attrs.frozen
class Photo:
    data: bytes
    extension: str


def process_photo(data: bytes) -> Photo:
    """The upload, verified and re-encoded; ``InvalidImage`` for anything else (thread-safe)."""
    if not data:
        raise InvalidImage("The file is empty.")
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise InvalidImage("The image is larger than 40 megapixels.")
            image.load()
            extension = FORMATS[image.format]
            upright = ImageOps.exif_transpose(image)
    except InvalidImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage(
            "That is not a JPEG, PNG or WebP image of at most 40 megapixels."
        ) from None
    except (OSError, ValueError, SyntaxError):
        raise InvalidImage("The image is damaged or cut short.") from None
    upright.thumbnail(SIZE)
    if extension == "jpg" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options = {"jpg": {"quality": 85}, "png": {"optimize": True}, "webp": {"quality": 85}}
    upright.save(out, format=image.format, **options[extension])
    return Photo(out.getvalue(), extension)


class PhotoFiles:
    """Photos on disk, in a directory beside the database, under random names."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, photo: Photo) -> str:
        """Write the photo under a new random name (thread-safe); a new photo, a new URL."""
        self.directory.mkdir(mode=0o755, exist_ok=True)
        name = f"{secrets.token_urlsafe(18)}.{photo.extension}"
        path = self.directory / name
        with open(path, "xb") as file:
            file.write(photo.data)
            file.flush()
            os.fsync(file.fileno())
        return name

    def delete(self, name: str | None) -> None:
        if name:
            (self.directory / name).unlink(missing_ok=True)
