"""Checks on uploaded files that are not images (those are in core.images)."""

from __future__ import annotations

import io
import zipfile

from django.conf import settings

from .errors import InvalidInput


def max_unzipped_bytes() -> int:
    """The total uncompressed size an uploaded zip container (.xlsx, .ods) may declare:
    ``WANGGE_UPLOAD_MAX_UNZIPPED_BYTES``, 256 MiB by default (a 100,000-row registry workbook unpacks to
    well under that)."""
    return int(getattr(settings, "WANGGE_UPLOAD_MAX_UNZIPPED_BYTES", 256 * 1024 * 1024))


def max_zip_members() -> int:
    return int(getattr(settings, "WANGGE_UPLOAD_MAX_ZIP_MEMBERS", 10_000))


def zip_bomb_problem(data: bytes) -> str | None:
    """Why an uploaded zip container may not be inflated, or None. An .xlsx is a zip whose central directory
    declares each member's uncompressed size, so a bomb is known from the directory alone, before any reader
    inflates it. Data that is not a zip passes (its reader reports what is wrong with it); a zip whose
    directory cannot be read does not."""
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return "文件已损坏，无法读取"
    if len(members) > max_zip_members():
        return f"压缩包内文件过多（{len(members)} 个）"
    total = sum(member.file_size for member in members)
    limit = max_unzipped_bytes()
    if total > limit:
        return f"文件解压后过大（{total // (1024 * 1024)} MB，上限 {limit // (1024 * 1024)} MB）"
    return None


def check_zip_bomb(data: bytes, *, field_name: str = "file") -> None:
    """Raise InvalidInput naming ``field_name`` if ``data`` is a zip bomb (see ``zip_bomb_problem``)."""
    if problem := zip_bomb_problem(data):
        raise InvalidInput.field(field_name, problem)
