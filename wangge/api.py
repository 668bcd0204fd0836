"""The one NinjaAPI: every app adds its router here. Errors have one shape (see core.errors)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from wangge.accounts.services import token_authenticate
from wangge.core.errors import ServiceError


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[no-untyped-def]
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Wangge API",
    version="1",
    description="党建引领网格化基层治理 — areas, registry, appeals, mobilisation.",
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth()],
)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "form", "payload")]
        errors.append({"field": ".".join(loc), "message": err.get("msg", "invalid")})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid input"
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "未登录或令牌无效", "errors": []}, status=401)


def _add_routers() -> None:
    from wangge.accounts.api import router as accounts_router
    from wangge.appeals.api import router as appeals_router
    from wangge.appeals.metrics_api import router as metrics_router
    from wangge.areas.api import router as areas_router
    from wangge.core.api import router as core_router
    from wangge.notifications.api import router as notifications_router
    from wangge.pairing.api import router as pairing_router
    from wangge.points.api import router as points_router
    from wangge.registry.api import router as registry_router
    from wangge.visits.api import router as visits_router
    from wangge.volunteers.api import router as volunteers_router
    from wangge.wishes.api import router as wishes_router

    api.add_router("/auth", accounts_router)
    api.add_router("/audit", core_router)
    api.add_router("/areas", areas_router)
    api.add_router("/", registry_router)
    api.add_router("/metrics", metrics_router)
    api.add_router("/", appeals_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/", volunteers_router)
    api.add_router("/", points_router)
    api.add_router("/", wishes_router)
    api.add_router("/", pairing_router)
    api.add_router("/", visits_router)


_add_routers()
