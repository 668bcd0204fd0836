from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Schema

from wangge.core.errors import ServiceError

from . import services

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    username: str
    role: str


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    areas: list[str]


class InvalidCredentials(ServiceError):
    status_code = 401


@router.post("/token", response=TokenOut, auth=None)
def token(request: HttpRequest, data: TokenIn):  # type: ignore[no-untyped-def]
    """Exchange a username (or phone) and password for a bearer token."""
    user = authenticate(request, username=data.username, password=data.password)
    if user is None:
        raise InvalidCredentials("用户名或密码错误", [{"field": "password", "message": "用户名或密码错误"}])
    return {
        "token": services.token_create(user=user, name=data.name),
        "username": user.username,
        "role": user.role,
    }


@router.get("/me", response=MeOut)
def me(request: HttpRequest):  # type: ignore[no-untyped-def]
    from wangge.core.scoping import scope_for

    user = request.user
    scope = scope_for(user)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "areas": ["*"] if scope.everything else list(scope.codes),
    }
