"""``GET /api/v1/metrics/appeals``: the case-loop figures for an area subtree (mounted at /metrics); the
monthly trend (``/appeals/trend``) and the breakdowns by category, channel and handling unit
(``/appeals/breakdown``)."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from wangge.appeals.metrics import appeal_metrics
from wangge.appeals.metrics_breakdown import MAX_MONTHS, appeal_breakdown, appeal_trend
from wangge.core.schemas import ErrorOut

router = Router(tags=["metrics"])
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class MetricsQuery(Schema):
    area: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    unit: int | None = Field(None, ge=1, le=2**63 - 1)
    person: int | None = Field(None, ge=1, le=2**63 - 1)
    category: str | None = None
    channel: str | None = Field(None, max_length=20, description="来源渠道（如 hotline_12345）")
    ranking: bool = True


@router.get("/appeals", response={200: dict[str, Any], **ERRORS})
def metrics_appeals(request: HttpRequest, q: Query[MetricsQuery]) -> dict[str, Any]:
    """Counts, the rates (each with its sample in ``rate_samples``; those below the minimum sample listed in
    ``rates_insufficient``), average times, the composite score and the ranking of child areas.
    Definitions: docs/metrics.md."""
    return appeal_metrics(
        viewer=request.user,
        area=q.area,
        start=q.from_,
        end=q.to,
        unit=q.unit,
        person=q.person,
        category=q.category,
        channel=q.channel,
        ranking=q.ranking,
    )


class TrendQuery(Schema):
    area: str | None = Field(None, max_length=17)
    months: int = Field(12, ge=1, le=MAX_MONTHS, description="最近几个月（含本月）")
    channel: str | None = Field(None, max_length=20, description="来源渠道（如 hotline_12345）")


@router.get("/appeals/trend", response={200: dict[str, Any], **ERRORS})
def metrics_appeals_trend(request: HttpRequest, q: Query[TrendQuery]) -> dict[str, Any]:
    """The cases reported in each of the last ``months`` calendar months: counts and rates (with samples)."""
    return appeal_trend(viewer=request.user, area=q.area, months=q.months, channel=q.channel)


class BreakdownQuery(Schema):
    by: Literal["category", "channel", "unit"]
    area: str | None = Field(None, max_length=17)
    from_: str | None = Field(None, alias="from", max_length=40)
    to: str | None = Field(None, max_length=40)
    channel: str | None = Field(None, max_length=20, description="来源渠道（如 hotline_12345）")


@router.get("/appeals/breakdown", response={200: dict[str, Any], **ERRORS})
def metrics_appeals_breakdown(request: HttpRequest, q: Query[BreakdownQuery]) -> dict[str, Any]:
    """The cases of the area and period by class of category, by channel or by lead unit (departments and
    property companies, ranked by on-time close rate; under the minimum sample unranked)."""
    return appeal_breakdown(
        viewer=request.user, by=q.by, area=q.area, start=q.from_, end=q.to, channel=q.channel
    )
