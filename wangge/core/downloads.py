"""Every download keeps its Chinese file name: one ``Content-Disposition`` per RFC 6266 / RFC 5987.

``filename*=UTF-8''%E5%B1%85…`` carries the real name, percent-encoded (a raw non-ASCII header value reaches
the browser MIME-encoded and it saves ``download.xlsx``); ``filename="…"`` is an ASCII fallback for old
clients. Use ``download_response`` (or ``set_attachment`` on a response you already have) for every file a
page or endpoint hands out.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath
from urllib.parse import quote

from django.http import HttpResponse, StreamingHttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded``; path parts and controls dropped."""
    name = PurePath(filename.replace("\\", "/")).name or "download"
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem, dot, ext = name.rpartition(".")
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", unicodedata.normalize("NFKD", stem if dot else name))
    ascii_stem = ascii_stem.encode("ascii", "ignore").decode().strip("_") or "download"
    ascii_ext = re.sub(r"[^A-Za-z0-9]+", "", ext) if dot else ""
    fallback = f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def set_attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = content_disposition(filename)


def download_response(content: bytes | str, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    set_attachment(response, filename)
    return response
