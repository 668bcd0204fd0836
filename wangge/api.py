"""The one NinjaAPI: every app adds its router here. Errors have one shape (see core.errors), and every input
passes the generic guards of core.guards before a view runs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from wangge.accounts.services import token_authenticate
from wangge.core.errors import ServiceError, describe, labelled
from wangge.core.guards import INT64_MAX, guard_operation, max_page_size, printable
from wangge.core.schemas import ErrorOut


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[no-untyped-def]
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


# The 4xx any operation may answer through the handlers below, each with ErrorOut as its body. They are
# declared on every operation of the OpenAPI description at once (WanggeAPI.get_openapi_schema), so clients
# and the fuzzer (wangge/core/tests/test_schemathesis.py) know them without each endpoint listing them.
ERROR_STATUSES: dict[int, str] = {
    400: "Malformed request (body not JSON, bad multipart)",
    401: "Not logged in or the token is invalid",
    403: "The role may not do this",
    404: "Missing, or outside the caller's scope",
    409: "A race lost or a step from the wrong state",
    413: "Request body too large",
    422: "Invalid input: each error names the field and the reason",
    429: "Too many requests",
}


class WanggeAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        _document_edges(schema)
        return schema


def _document_edges(schema: Any) -> None:
    """Declare the shared error responses on every operation, and the page bounds on every ``limit`` and
    ``offset`` query parameter (the guards enforce both)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components.setdefault("ErrorOut", error_schema)
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
            for param in operation.get("parameters", []):
                if param.get("in") != "query" or param.get("schema", {}).get("type") != "integer":
                    continue
                if param["name"] == "limit":
                    param["schema"].update(minimum=1, maximum=max_page_size())
                elif param["name"] == "offset":
                    param["schema"].update(minimum=0, maximum=INT64_MAX)


api = WanggeAPI(
    title="Wangge API",
    version="1",
    description="党建引领网格化基层治理 — areas, registry, appeals, mobilisation.",
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth()],
)
api.add_decorator(guard_operation)


def _error(
    request: HttpRequest, status: int, detail: str, errors: list[dict[str, Any]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", [])]
        if loc[:1] == ["body"] and len(loc) >= 3:
            loc = loc[
                2:
            ]  # ("body", <the view's body parameter>, field, ...): the field is what the client sent
        else:
            loc = (
                loc[1:]
                if loc[:1] and loc[0] in ("body", "query", "path", "form", "header", "cookie", "file")
                else loc
            )
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        errors.append({"field": printable(".".join(loc)), "message": printable(message)})
    detail = describe([labelled(e) for e in errors]) or "输入有误"
    return _error(request, 422, detail, errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "未登录或令牌无效")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja's own: "Cannot parse request body" (400), throttling (429), authorisation (403).
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "未找到")


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "无权访问")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # Django's request limits: body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or files.
    if isinstance(exc, RequestDataTooBig):
        return _error(request, 413, "请求体过大")
    return _error(request, 400, "请求格式有误")


@api.exception_handler(MultiPartParserError)
def _multipart_error(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return _error(request, 400, "multipart 请求格式有误")


def _add_routers() -> None:
    from wangge.accounts.api import router as accounts_router
    from wangge.appeals.api import router as appeals_router
    from wangge.appeals.exports_api import router as appeal_exports_router
    from wangge.appeals.metrics_api import router as metrics_router
    from wangge.areas.api import router as areas_router
    from wangge.assessment.api import router as assessment_router
    from wangge.attendance.api import router as attendance_router
    from wangge.command.api import router as command_router
    from wangge.command.screen_api import router as command_screen_router
    from wangge.core.api import router as core_router
    from wangge.core.jobs_api import router as jobs_router
    from wangge.deliberation.api import router as deliberation_router
    from wangge.notifications.api import router as notifications_router
    from wangge.pairing.api import router as pairing_router
    from wangge.party.api import router as party_router
    from wangge.patrols.api import router as patrols_router
    from wangge.places.api import router as places_router
    from wangge.points.api import router as points_router
    from wangge.projects.api import router as projects_router
    from wangge.property.api import router as property_router
    from wangge.registry.api import router as registry_router
    from wangge.registry.change_api import router as registry_changes_router
    from wangge.visits.api import router as visits_router
    from wangge.volunteers.api import router as volunteers_router
    from wangge.voting.api import router as voting_router
    from wangge.wishes.api import router as wishes_router

    api.add_router("/auth", accounts_router)
    api.add_router("/audit", core_router)
    api.add_router("/jobs", jobs_router)
    api.add_router("/exports", appeal_exports_router)
    api.add_router("/areas", areas_router)
    api.add_router("/", registry_router)
    api.add_router("/metrics", metrics_router)
    api.add_router("/", appeals_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/", volunteers_router)
    api.add_router("/", points_router)
    api.add_router("/", wishes_router)
    api.add_router("/", pairing_router)
    api.add_router("/", deliberation_router)
    api.add_router("/", voting_router)
    api.add_router("/", property_router)
    api.add_router("/", visits_router)
    api.add_router("/", places_router)
    api.add_router("/", projects_router)
    api.add_router("/registry", registry_changes_router)
    api.add_router("/", patrols_router)
    api.add_router("/", command_router)
    api.add_router("/", command_screen_router)
    api.add_router("/", attendance_router)
    api.add_router("/", assessment_router)
    api.add_router("/", party_router)


_add_routers()
