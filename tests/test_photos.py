"""Photo validation over images made here: bad kinds refused, good ones cleaned and scaled."""

import io

import pytest
from PIL import Image

from iclicker.domain.photos import InvalidImage, process_photo


def image_bytes(size=(400, 300), format="JPEG", exif=None, mode="RGB") -> bytes:
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, "navy").save(out, format=format, **options)
    return out.getvalue()


def gps_and_rotation_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show upright
    exif[0x8825] = {2: (48.0, 51.0, 24.0), 4: (2.0, 21.0, 7.0)}  # GPS latitude/longitude
    return exif.tobytes()


def test_jpeg_with_gps_and_orientation_is_turned_upright_and_stripped():
    """EXIF orientation applied, every EXIF tag (GPS included) gone, scaled to fit 256."""
    photo = process_photo(image_bytes((400, 300), exif=gps_and_rotation_exif()))
    assert photo.extension == "jpg"
    result = Image.open(io.BytesIO(photo.data))
    assert result.size == (192, 256), "rotated to portrait, then fitted into 256x256"
    assert not result.getexif(), "no metadata survives"


@pytest.mark.parametrize("format, extension", [("PNG", "png"), ("WEBP", "webp")])
def test_png_and_webp_keep_their_format_and_are_not_enlarged(format, extension):
    photo = process_photo(image_bytes((64, 40), format=format))
    assert photo.extension == extension
    assert Image.open(io.BytesIO(photo.data)).size == (64, 40)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<?php system($_GET['c']); ?>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        image_bytes(format="GIF", mode="P"),
        image_bytes()[:600],
    ],
    ids=["empty", "php-renamed-png", "svg", "gif", "truncated-jpeg"],
)
def test_anything_else_is_invalid_image(content):
    with pytest.raises(InvalidImage) as caught:
        process_photo(content)
    assert caught.value.code == "invalid_image"


def test_a_decompression_bomb_is_refused_before_decoding():
    """A 50-megapixel PNG of one colour is a small file; it is refused without decoding."""
    bomb = image_bytes((10_000, 5_000), format="PNG", mode="1")
    assert len(bomb) < 200_000
    with pytest.raises(InvalidImage, match="40 megapixels"):
        process_photo(bomb)
