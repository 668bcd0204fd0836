"""Cleaning uploaded photos: the type is checked by content (not by name), the size is limited, and the
image is re-encoded with Pillow so the served file carries no EXIF block (location, device), while the EXIF
GPS position is returned as data. Used by case attachments and wish deliveries."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from wangge.core.errors import InvalidInput

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "MPO": "image/jpeg"}
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003


@dataclass
class CleanFile:
    content: bytes
    content_type: str
    extension: str
    sha256: str
    exif_lat: float | None = None
    exif_lng: float | None = None
    exif: dict[str, Any] = field(default_factory=dict)


def _ratio(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def _dms(values: Any, ref: Any) -> float | None:
    try:
        d, m, s = (_ratio(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60.0 + s / 3600.0
    if str(ref).upper().startswith(("S", "W")):
        deg = -deg
    return deg


def read_gps(image: Image.Image) -> tuple[float | None, float | None, dict[str, Any]]:
    """The photo's GPS position (WGS84, as phones record it) and a few plain EXIF facts."""
    try:
        exif = image.getexif()
    except Exception:  # a damaged EXIF block is not a reason to refuse the photo
        return None, None, {}
    data: dict[str, Any] = {}
    try:
        taken = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
        if taken:
            data["taken_at"] = str(taken)
    except Exception:
        pass
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:
        gps = {}
    lat = lng = None
    if gps and 2 in gps and 4 in gps:
        lat = _dms(gps[2], gps.get(1, "N"))
        lng = _dms(gps[4], gps.get(3, "E"))
        if (
            lat is None
            or lng is None
            or not (-90 <= lat <= 90 and -180 <= lng <= 180)
            or (lat == 0 and lng == 0)
        ):
            lat = lng = None
        else:
            data["gps"] = {"lat": round(lat, 7), "lng": round(lng, 7)}
    return lat, lng, data


def max_pixels() -> int:
    """The largest image (width × height) an upload may declare: ``WANGGE_UPLOAD_MAX_PIXELS``, 40 Mpx by
    default (a 108 MP phone camera is 12,000 × 9,000 = 108 Mpx: such photos are refused with a clear reason;
    ordinary 12–50 MP photos pass)."""
    return int(getattr(settings, "WANGGE_UPLOAD_MAX_PIXELS", 40_000_000))


def check_pixels(image: Image.Image, *, field_name: str) -> None:
    """Refuse a decompression bomb from its header alone: ``Image.open`` reads only the header, so a 146 KB
    PNG declaring 150 Mpx is refused here in milliseconds instead of costing seconds and hundreds of MB to
    decode."""
    width, height = image.size
    limit = max_pixels()
    if width * height > limit:
        raise InvalidInput.field(
            field_name,
            f"图片尺寸过大（{width}×{height}，上限 {limit // 1_000_000} 百万像素）",
        )


def check_size(raw: bytes, *, field_name: str, max_bytes: int) -> None:
    if not raw:
        raise InvalidInput.field(field_name, "文件为空")
    if len(raw) > max_bytes:
        raise InvalidInput.field(field_name, f"文件过大（上限 {max_bytes // (1024 * 1024)} MB）")


def clean_image(
    raw: bytes,
    *,
    field_name: str,
    max_bytes: int,
    max_side: int,
    keep_png: bool = True,
    refused: str = "只接受 JPEG/PNG/WebP 图片",
) -> CleanFile:
    """Validate and re-encode one image, or raise InvalidInput naming ``field_name``. PNG stays PNG when
    ``keep_png`` (screenshots, documents); everything else becomes JPEG."""
    check_size(raw, field_name=field_name, max_bytes=max_bytes)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format or ""
            check_pixels(probe, field_name=field_name)
            probe.verify()
    except Image.DecompressionBombError as exc:  # over twice Pillow's own limit: refused by Image.open itself
        raise InvalidInput.field(field_name, "图片尺寸过大") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput.field(field_name, refused) from exc
    if fmt not in IMAGE_FORMATS:
        raise InvalidInput.field(field_name, refused)
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            check_pixels(opened, field_name=field_name)
            lat, lng, exif = read_gps(opened)
            img: Image.Image = ImageOps.exif_transpose(opened)
            if max(img.size) > max_side:
                img.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if fmt == "PNG" and keep_png:
                img.save(out, format="PNG", optimize=True)
                ctype, ext = "image/png", "png"
            else:
                if img.mode not in ("RGB", "L"):
                    img = img.convert("RGB")
                # Saved without exif=...: the served file has no EXIF block at all.
                img.save(out, format="JPEG", quality=85, optimize=True)
                ctype, ext = "image/jpeg", "jpg"
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput.field(field_name, "图片无法处理") from exc
    content = out.getvalue()
    return CleanFile(content, ctype, ext, hashlib.sha256(content).hexdigest(), lat, lng, exif)
