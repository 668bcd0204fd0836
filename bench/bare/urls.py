from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI, Schema
from pydantic import Field

from .models import Report

api = NinjaAPI(urls_namespace="bare")


class ReportIn(Schema):
    category: str = Field(min_length=1, max_length=16)
    description: str = Field(min_length=1, max_length=2000)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class ReportOut(Schema):
    id: int
    category: str


@api.post("/appeals", response={201: ReportOut})
def submit(request: HttpRequest, payload: ReportIn):  # type: ignore[no-untyped-def]
    row = Report.objects.create(**payload.dict())
    return 201, {"id": row.pk, "category": row.category}


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("api/v1/", api.urls), path("healthz", healthz)]
