"""The audit log's address: X-Forwarded-For only from a configured proxy (WANGGE_TRUSTED_PROXIES)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from wangge.accounts.roles import Role
from wangge.core.middleware import client_ip
from wangge.core.models import AuditLog
from wangge.testing import api_client, make_user


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.django_db
def test_a_forged_forwarded_for_from_a_client_is_not_what_the_audit_log_records(
    tree: Any, settings: Any
) -> None:
    settings.WANGGE_TRUSTED_PROXIES = []
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    client = api_client(staff)
    res = client.get(
        "/api/v1/residents/export", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert res.status_code == 200
    assert AuditLog.objects.get(action="export", actor=staff).ip == "203.0.113.9"


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_audit_log_records_the_client(tree: Any, settings: Any) -> None:
    settings.WANGGE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    client = api_client(staff)
    # The client wrote 6.6.6.6 itself; the proxy appended the address it really saw.
    res = client.get(
        "/api/v1/residents/export", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )
    assert res.status_code == 200
    assert AuditLog.objects.get(action="export", actor=staff).ip == "198.51.100.7"


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.WANGGE_TRUSTED_PROXIES = []
    assert _ip("203.0.113.9", "198.51.100.7") == "203.0.113.9"
    assert _ip("127.0.0.1", "198.51.100.7") == "127.0.0.1"


def test_a_request_not_from_a_trusted_proxy_is_its_own_address(settings: Any) -> None:
    settings.WANGGE_TRUSTED_PROXIES = ["10.0.0.1"]
    assert _ip("10.0.0.2", "198.51.100.7") == "10.0.0.2"
    assert _ip("10.0.0.1", "198.51.100.7") == "198.51.100.7"


def test_chains_of_trusted_proxies_are_walked_from_the_right(settings: Any) -> None:
    settings.WANGGE_TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.1.1"]
    assert _ip("10.0.0.2", "1.2.3.4, 198.51.100.7, 192.168.1.1, 10.9.9.9") == "198.51.100.7"
    # Only trusted hops in the header: the left-most is the best we know.
    assert _ip("10.0.0.2", "10.1.1.1, 10.2.2.2") == "10.1.1.1"
    # IPv6 and spacing.
    assert _ip("10.0.0.2", " 2001:db8::1 ") == "2001:db8::1"


def test_garbage_in_the_header_never_becomes_the_address(settings: Any) -> None:
    settings.WANGGE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _ip("10.0.0.2", "not-an-ip") == "10.0.0.2"
    assert _ip("10.0.0.2", "198.51.100.7, <script>, 10.1.1.1") == "10.1.1.1"
    assert _ip("10.0.0.2", "") == "10.0.0.2"
    assert _ip("10.0.0.2", "1.2.3.4\x00") == "10.0.0.2"
