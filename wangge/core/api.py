from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from . import selectors
from .schemas import AuditOut

router = Router(tags=["audit"])


class AuditFilter(Schema):
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@router.get("", response=list[AuditOut])
@paginate(LimitOffsetPagination)
def audit_list(request: HttpRequest, filters: Query[AuditFilter]):  # type: ignore[no-untyped-def]
    return selectors.audit_list(viewer=request.user, **filters.dict())
