from __future__ import annotations

import logging

import pytest

from wangge.accounts.roles import Role
from wangge.core.errors import InvalidInput, NotFound
from wangge.notifications import selectors, services
from wangge.notifications.models import Notification, OutboxMessage
from wangge.testing import make_user

pytestmark = pytest.mark.django_db


def test_notify_creates_inapp_for_each_user_and_sms_only_for_users_with_a_phone():
    with_phone = make_user(Role.RESIDENT, phone="13812345678")
    without_phone = make_user(Role.RESIDENT)
    services.notify(
        users=[with_phone, without_phone, with_phone],  # duplicates are sent once
        event="appeal.dispatched",
        title="您的诉求已派单",
        body="已派给物业",
        link="/appeals/1/",
        obj=with_phone,
    )
    notes = Notification.objects.order_by("user_id")
    assert [n.user_id for n in notes] == sorted([with_phone.pk, without_phone.pk])
    assert notes[0].object_type == "accounts.user" and notes[0].object_id == str(with_phone.pk)
    sms = OutboxMessage.objects.get()
    assert sms.channel == "sms" and sms.recipient_id == with_phone.pk and sms.phone == "13812345678"
    assert sms.payload["title"] == "您的诉求已派单" and sms.status == "pending"


def test_phone_is_encrypted_at_rest_in_the_outbox():
    from django.db import connection

    user = make_user(Role.RESIDENT, phone="13812345678")
    services.notify(users=[user], event="e", title="t", channels=("sms",))
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM notifications_outboxmessage")
        raw = cur.fetchone()[0]
    assert raw and "13812345678" not in raw
    assert not Notification.objects.exists()


def test_notify_skips_inactive_and_none_and_wechat_queues_without_phone():
    active = make_user(Role.RESIDENT)
    inactive = make_user(Role.RESIDENT)
    inactive.is_active = False
    inactive.save()
    services.notify(users=[active, inactive, None], event="e", title="t", channels=("inapp", "wechat"))
    assert list(Notification.objects.values_list("user_id", flat=True)) == [active.pk]
    assert list(OutboxMessage.objects.values_list("channel", "recipient_id")) == [("wechat", active.pk)]


def test_notify_never_raises_for_one_bad_recipient(caplog):
    good = make_user(Role.RESIDENT, phone="13812345678")
    broken_user = make_user(Role.RESIDENT)

    class Broken:
        pk = broken_user.pk
        is_active = True

        @property
        def phone(self):
            raise ValueError("cannot decrypt")

    with caplog.at_level(logging.ERROR):
        services.notify(users=[Broken(), good], event="e", title="t")
    assert Notification.objects.filter(user=good).count() == 1
    assert OutboxMessage.objects.filter(recipient=good).count() == 1
    # The broken recipient gets nothing (not half its rows); it is logged and the caller carries on.
    assert not Notification.objects.filter(user=broken_user).exists()
    assert "skipping recipient" in caplog.text


def test_notify_rejects_unknown_channel():
    with pytest.raises(InvalidInput):
        services.notify(users=[], event="e", title="t", channels=("fax",))


def test_mark_read_only_own_notifications_and_counts():
    me = make_user(Role.RESIDENT)
    other = make_user(Role.RESIDENT)
    services.notify(users=[me, other], event="e", title="one")
    services.notify(users=[me], event="e", title="two")
    assert selectors.notification_unread_count(viewer=me) == 2
    mine = selectors.notification_list(viewer=me).first()
    theirs = selectors.notification_list(viewer=other).first()
    with pytest.raises(NotFound):
        services.notification_mark_read(notification_id=theirs.pk, by=me)
    note = services.notification_mark_read(notification_id=mine.pk, by=me)
    first_read = note.read_at
    assert first_read is not None
    again = services.notification_mark_read(notification_id=mine.pk, by=me)
    assert again.read_at == first_read  # idempotent, keeps the first time
    assert selectors.notification_unread_count(viewer=me) == 1
    assert [n.title for n in selectors.notification_list(viewer=me, unread_only=True)] == ["one"]
    assert services.notification_mark_all_read(by=me) == 1
    assert selectors.notification_unread_count(viewer=me) == 0
    assert selectors.notification_unread_count(viewer=other) == 1


def test_deliver_pending_sends_retries_and_gives_up():
    ok = make_user(Role.RESIDENT, phone="13812345678")
    bad = make_user(Role.RESIDENT, phone="13912345678")
    services.notify(users=[ok, bad], event="e", title="t", channels=("sms",))
    sent: list[str] = []

    def sender(message: OutboxMessage) -> None:
        if message.phone == "13912345678":
            raise RuntimeError("gateway down")
        sent.append(message.phone)

    assert services.deliver_pending(sender) == {"sent": 1, "failed": 0, "retry": 1}
    assert sent == ["13812345678"]
    assert OutboxMessage.objects.get(recipient=ok).status == "sent"
    failing = OutboxMessage.objects.get(recipient=bad)
    assert failing.status == "pending" and failing.attempts == 1 and "gateway down" in failing.last_error
    for _ in range(services.MAX_ATTEMPTS - 1):
        services.deliver_pending(sender)
    failing.refresh_from_db()
    assert failing.status == "failed" and failing.attempts == services.MAX_ATTEMPTS
    assert sent == ["13812345678"]  # never sent twice


def test_default_logging_sender_masks_the_phone(caplog):
    user = make_user(Role.RESIDENT, phone="13812345678")
    services.notify(users=[user], event="e", title="标题", channels=("sms",))
    with caplog.at_level(logging.INFO, logger="wangge.notifications.services"):
        assert services.deliver_pending()["sent"] == 1
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
