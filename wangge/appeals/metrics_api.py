"""``GET /api/v1/metrics/appeals``: the case-loop figures for an area subtree (mounted at /metrics)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from wangge.appeals.metrics import appeal_metrics
from wangge.core.schemas import ErrorOut

router = Router(tags=["metrics"])


class MetricsQuery(Schema):
    area: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    unit: int | None = Field(None, ge=1, le=2**63 - 1)
    person: int | None = Field(None, ge=1, le=2**63 - 1)
    category: str | None = None
    ranking: bool = True


@router.get("/appeals", response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def metrics_appeals(request: HttpRequest, q: Query[MetricsQuery]) -> dict[str, Any]:
    """Counts, the rates, average times, the composite score and the ranking of child areas.
    Definitions: docs/metrics.md."""
    return appeal_metrics(
        viewer=request.user,
        area=q.area,
        start=q.from_,
        end=q.to,
        unit=q.unit,
        person=q.person,
        category=q.category,
        ranking=q.ranking,
    )
