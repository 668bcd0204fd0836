"""Decompression bombs in uploads: an image's pixel count and a zip's unpacked size are read from the header
or the central directory and refused before anything is inflated."""

from __future__ import annotations

import io
import json
import struct
import time
import zipfile
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.accounts.roles import Role
from wangge.core.errors import InvalidInput
from wangge.core.images import clean_image
from wangge.core.uploads import check_zip_bomb, zip_bomb_problem
from wangge.registry.models import Resident
from wangge.testing import Tree, api_client, make_user


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(side: int) -> bytes:
    """A valid grayscale PNG of side × side black pixels, built row by row so the test never holds the
    decoded image: 12,248² ≈ 150 Mpx compresses to about 146 KB."""
    row = b"\x00" * (side + 1)  # filter byte 0, then one byte per pixel
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return png_bomb(12_248)


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(out, format="PNG")
    return out.getvalue()


def test_the_test_bomb_is_a_real_150_megapixel_png(bomb: bytes) -> None:
    assert len(bomb) < 200_000
    with Image.open(io.BytesIO(bomb)) as img:
        assert img.size[0] * img.size[1] > 150_000_000


def test_a_150_megapixel_png_is_refused_from_its_header_quickly(bomb: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidInput) as caught:
        clean_image(bomb, field_name="file", max_bytes=10 * 1024 * 1024, max_side=2048)
    assert time.monotonic() - started < 1.0  # decoding it took 6.6 s and 330 MB
    assert caught.value.errors[0]["field"] == "file"
    assert "12248×12248" in caught.value.errors[0]["message"]


def test_the_pixel_limit_is_a_setting(settings: Any) -> None:
    clean_image(small_png(), field_name="photo", max_bytes=1 << 20, max_side=2048)  # 3,072 px: fine
    settings.WANGGE_UPLOAD_MAX_PIXELS = 3_000
    with pytest.raises(InvalidInput) as caught:
        clean_image(small_png(), field_name="photo", max_bytes=1 << 20, max_side=2048)
    assert caught.value.errors[0]["field"] == "photo"


@pytest.mark.django_db
def test_an_attachment_bomb_answers_422_quickly_through_the_api(
    bomb: bytes, tree: Tree, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = settings.DATA_DIR / "test-media"
    client = api_client(make_user(Role.RESIDENT))
    res = client.post(
        "/api/v1/appeals",
        json.dumps({"category": "SJ0101", "description": "路边垃圾", "channel": "snapshot"}),
        content_type="application/json",
    )
    assert res.status_code == 201, res.content
    started = time.monotonic()
    up = client.post(
        f"/api/v1/appeals/{res.json()['id']}/attachments",
        {"file": SimpleUploadedFile("bomb.png", bomb, "image/png")},
    )
    assert time.monotonic() - started < 2.0
    assert up.status_code == 422, up.content
    assert up.json()["errors"][0]["field"] == "file"


# --- zip bombs ----------------------------------------------------------------------------------------


def zipped(members: dict[str, int]) -> bytes:
    """A zip whose members hold that many zero bytes each (deflated: a few KB per MB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, size in members.items():
            archive.writestr(name, b"\x00" * size)
    return out.getvalue()


def test_a_zip_declaring_more_than_the_limit_unpacked_is_refused(settings: Any) -> None:
    settings.WANGGE_UPLOAD_MAX_UNZIPPED_BYTES = 4 * 1024 * 1024
    small = zipped({"xl/worksheets/sheet1.xml": 1024 * 1024})
    assert zip_bomb_problem(small) is None
    bomb = zipped({"xl/worksheets/sheet1.xml": 3 * 1024 * 1024, "xl/sharedStrings.xml": 2 * 1024 * 1024})
    assert len(bomb) < 64 * 1024
    with pytest.raises(InvalidInput) as caught:
        check_zip_bomb(bomb, field_name="file")
    assert caught.value.errors[0] == {"field": "file", "message": "文件解压后过大（5 MB，上限 4 MB）"}


def test_a_zip_with_too_many_members_or_a_broken_directory_is_refused(settings: Any) -> None:
    settings.WANGGE_UPLOAD_MAX_ZIP_MEMBERS = 5
    assert "过多" in (zip_bomb_problem(zipped({f"m{i}": 1 for i in range(6)})) or "")
    assert zip_bomb_problem(b"PK\x03\x04 not really a zip") == "文件已损坏，无法读取"
    assert zip_bomb_problem(b"name,phone\n") is None  # not a zip: the reader judges it


@pytest.mark.django_db
def test_an_xlsx_zip_bomb_is_refused_by_the_import_before_calamine_reads_it(
    tree: Tree, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WANGGE_UPLOAD_MAX_UNZIPPED_BYTES = 2 * 1024 * 1024
    bomb = zipped({"[Content_Types].xml": 100, "xl/worksheets/sheet1.xml": 3 * 1024 * 1024})
    client = api_client(make_user(Role.COMMUNITY_STAFF, tree.community))
    res = client.post("/api/v1/residents/import", {"file": SimpleUploadedFile("bomb.xlsx", bomb)})
    assert res.status_code == 422, res.content
    assert res.json()["errors"][0]["field"] == "file" and "解压后过大" in res.json()["errors"][0]["message"]
    assert not Resident.objects.exists()
