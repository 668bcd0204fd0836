"""The big screen's one endpoint: ``GET /api/v1/command/screen`` (everything the wall draws)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from . import screen

router = Router(tags=["command"])


class ScreenAreaOut(Schema):
    code: str
    name: str
    level: str


class ScreenTodayOut(Schema):
    reported: int
    closed: int
    overdue: int
    satisfaction_rate: float | None
    rated: int


class ScreenTrendOut(Schema):
    day: dt.date
    reported: int
    closed: int


class ScreenGridOut(Schema):
    code: str
    name: str
    cases: int
    households: int
    rate: float | None


class ScreenRankOut(Schema):
    code: str
    name: str
    rank: int | None
    ranked: bool
    sample: int
    score: float | None
    satisfaction_rate: float | None


class ScreenOverdueOut(Schema):
    id: int
    number: str
    title: str
    grid: str
    handler: str
    overdue_for: str
    overdue_hours: float


class ScreenOut(Schema):
    area: ScreenAreaOut
    generated_at: dt.datetime
    refresh_seconds: int
    today: ScreenTodayOut
    trend: list[ScreenTrendOut]
    grids: list[ScreenGridOut]
    rate_days: int
    ranking: list[ScreenRankOut]
    ranking_area: str
    min_sample: int
    overdue: list[ScreenOverdueOut]


@router.get("/command/screen", response=ScreenOut)
def command_screen(
    request: HttpRequest,
    area: str | None = Query(None, max_length=17, pattern=r"^\d{6,17}$", description="区域编码"),
) -> Any:
    """The command-centre wall of one area (the viewer's own by default): today's figures, a 14-day trend,
    the grids' case rate (per 100 households, 30 days), the children's ranking (minimum sample respected)
    and the most overdue open cases (handlers masked). District and street staff only (others 403)."""
    return screen.screen_data(viewer=request.user, code=area)
