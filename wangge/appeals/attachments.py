"""Case attachments: photos (cleaned by ``wangge.core.images``: no EXIF in the served file, the GPS position
kept as data) and PDF documents."""

from __future__ import annotations

import hashlib

from wangge.core.images import CleanFile, check_size, clean_image

from . import conf

__all__ = ["CleanFile", "clean_upload"]


def clean_upload(raw: bytes, filename: str = "") -> CleanFile:
    """Validate and clean one upload, or raise InvalidInput naming ``file``."""
    limit = int(conf.get("MAX_UPLOAD_BYTES"))
    check_size(raw, field_name="file", max_bytes=limit)
    if raw[:5] == b"%PDF-":
        return CleanFile(raw, "application/pdf", "pdf", hashlib.sha256(raw).hexdigest())
    return clean_image(
        raw,
        field_name="file",
        max_bytes=limit,
        max_side=int(conf.get("MAX_IMAGE_SIDE")),
        refused="只接受 JPEG/PNG/WebP 图片或 PDF 文件",
    )
