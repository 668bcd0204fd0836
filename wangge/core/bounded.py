"""Bounded input types for API schemas: text without NUL bytes, lone surrogates or control characters
(PostgreSQL refuses NUL and answers 500; a lone surrogate cannot be encoded), integers and dates inside a
sane range. Out of bounds is a 422 naming the field, never a 500 from the database or the date arithmetic."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, Field

_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BAD_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

# Dates people type for real events: nothing before 1900 or after 2100 (beyond that, date arithmetic overflows).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
MAX_ID = 2**31 - 1  # ids are 32-bit integers on every supported database


def _clean_text(value: str) -> str:
    if _BAD_TEXT.search(value):
        raise ValueError("不能包含控制字符或无效字符")
    return value


def _clean_line(value: str) -> str:
    if _BAD_LINE.search(value):
        raise ValueError("不能包含换行、控制字符或无效字符")
    return value


def _clean_date(value: dt.date) -> dt.date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"日期须在 {MIN_DATE} 到 {MAX_DATE} 之间")
    return value


def _clean_datetime(value: dt.datetime) -> dt.datetime:
    _clean_date(value.date())
    return value


# Fixed sizes, so that schemas read as types (mypy needs aliases, not calls, in annotations).
Name = Annotated[str, Field(max_length=100), AfterValidator(_clean_line)]
Line = Annotated[str, Field(max_length=200), AfterValidator(_clean_line)]
Code = Annotated[str, Field(max_length=40), AfterValidator(_clean_line)]
Note = Annotated[str, Field(max_length=500), AfterValidator(_clean_text)]
Text = Annotated[str, Field(max_length=5000), AfterValidator(_clean_text)]

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Day = Annotated[dt.date, AfterValidator(_clean_date)]
Moment = Annotated[dt.datetime, AfterValidator(_clean_datetime)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def clean_text(value: str, field: str, *, max_length: int, multiline: bool = True) -> str:
    """The same check for inputs that do not come through a schema (form fields of a multipart upload, page
    forms): a 422 naming ``field`` instead of a database error."""
    from wangge.core.errors import InvalidInput

    if len(value) > max_length:
        raise InvalidInput.field(field, f"最多 {max_length} 个字符")
    try:
        (_clean_text if multiline else _clean_line)(value)
    except ValueError as exc:
        raise InvalidInput.field(field, str(exc)) from None
    return value
