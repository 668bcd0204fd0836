from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from ninja import Router, Schema

from wangge.core.errors import ServiceError
from wangge.core.schemas import ErrorOut

from . import services
from .throttle import lockout_message

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


class LoginLocked(ServiceError):
    status_code = 429


@router.post("/token", response={200: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut}, auth=None)
def token(request: HttpRequest, data: TokenIn):  # type: ignore[no-untyped-def]
    """Exchange a username (or phone) and password for a bearer token.

    Throttled like the login page: after too many failures for the account or from the address, every
    attempt (the right password included) answers 429 until the cool-off has passed."""
    user = authenticate(request, username=data.username, password=data.password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            message = lockout_message()
            raise LoginLocked(message, [{"field": "username", "message": message}])
        raise InvalidCredentials("用户名或密码错误", [{"field": "password", "message": "用户名或密码错误"}])
    # A token exchange is a login: resets the failure count, records last_login and the audit row.
    user_logged_in.send(sender=type(user), request=request, user=user)
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
