"""The demo hook: a few residents who signed up by themselves, each with a consent record, and a community
invitation."""

from __future__ import annotations

import datetime as dt
import io
import random
import types
from typing import Any

import pytest
from django.test import Client

from wangge.signup.demo import SELF_SIGNED, populate_demo
from wangge.signup.models import Consent, Invitation, SelfSignup
from wangge.testing import Tree

pytestmark = pytest.mark.django_db


def test_demo_residents_signed_up_themselves_with_consent_and_log_in_by_phone(
    tree: Tree, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    ctx = types.SimpleNamespace(
        communities=[tree.community],
        now=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
        rng=random.Random(7),
        password="wangge-demo",
        log=out.write,
    )
    populate_demo(ctx)
    assert SelfSignup.objects.count() == len(SELF_SIGNED) == Consent.objects.count()
    invitation = Invitation.objects.get(area=tree.community)
    assert SelfSignup.objects.filter(community=tree.community).count() == 1
    assert f"/signup/?invite={invitation.code}" in out.getvalue()
    phone, _name = SELF_SIGNED[0]
    assert (
        Client().post("/accounts/login/", {"username": phone, "password": "wangge-demo"}).status_code == 302
    )
