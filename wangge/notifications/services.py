"""Writes for notifications: ``notify`` (called by other apps' services), marking read, delivering the outbox.

``notify`` is called inside other services' transactions. It must never make them fail: a recipient that
cannot be notified is logged and skipped, and the insert runs in a savepoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from wangge.core.errors import InvalidInput, NotFound
from wangge.core.pii import mask_phone

from .models import Notification, OutboxMessage

log = logging.getLogger(__name__)

CHANNELS = ("inapp", "sms", "wechat")
# A message that failed this many times is marked failed and left for a person to look at.
MAX_ATTEMPTS = int(getattr(settings, "WANGGE_OUTBOX_MAX_ATTEMPTS", 5))

MAX_ID = 2**63 - 1


def _object_ref(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    meta = getattr(obj, "_meta", None)
    return (meta.label_lower if meta is not None else type(obj).__name__.lower()), str(getattr(obj, "pk", ""))


def notify(
    *,
    users: Iterable[Any],
    event: str,
    title: str,
    body: str = "",
    link: str = "",
    obj: Any = None,
    channels: Iterable[str] = ("inapp", "sms"),
    savepoint: bool = True,
) -> None:
    """Tell ``users`` about ``event``: one in-app notification each, plus an outbox message per external
    channel (SMS only for users with a phone). Duplicate and inactive users are skipped; never raises for
    a bad recipient.

    ``savepoint=False`` (hot paths such as a case submission): the rows are plain inserts in the caller's
    transaction, with no savepoint around them; a failed insert then fails the caller's whole transaction."""
    channels = tuple(channels)
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise InvalidInput.field("channels", f"unknown channel(s): {', '.join(sorted(unknown))}")
    object_type, object_id = _object_ref(obj)
    title = str(title)[:200]
    body = str(body)
    link = str(link)[:300]
    payload = {"event": event, "title": title, "body": body, "link": link}
    inapp: list[Notification] = []
    outbox: list[OutboxMessage] = []
    seen: set[int] = set()
    for user in users:
        try:
            if user is None or user.pk is None or user.pk in seen or not user.is_active:
                continue
            seen.add(user.pk)
            # Build this recipient's rows first, so that a failure half-way leaves none of them.
            mine: list[Notification] = []
            theirs: list[OutboxMessage] = []
            if "inapp" in channels:
                mine.append(
                    Notification(
                        user_id=user.pk,
                        event=event,
                        title=title,
                        body=body,
                        link=link,
                        object_type=object_type,
                        object_id=object_id,
                    )
                )
            if "sms" in channels:
                phone = getattr(user, "phone", "") or ""
                if phone:
                    theirs.append(
                        OutboxMessage(
                            channel=OutboxMessage.Channel.SMS,
                            recipient_id=user.pk,
                            phone=phone,
                            event=event,
                            payload=payload,
                        )
                    )
            if "wechat" in channels:
                # The WeChat adapter resolves the user's openid itself; we only queue the message.
                theirs.append(
                    OutboxMessage(
                        channel=OutboxMessage.Channel.WECHAT,
                        recipient_id=user.pk,
                        event=event,
                        payload=payload,
                    )
                )
            inapp.extend(mine)
            outbox.extend(theirs)
        except Exception:  # one broken recipient (e.g. an undecryptable phone) must not stop the others
            log.exception("notify: skipping recipient %r for %s", getattr(user, "pk", user), event)
    if not savepoint:
        if inapp:
            Notification.objects.bulk_create(inapp, batch_size=500)
        if outbox:
            OutboxMessage.objects.bulk_create(outbox, batch_size=500)
        return
    _insert(Notification, inapp)
    _insert(OutboxMessage, outbox)


def _insert(model: Any, rows: list[Any]) -> None:
    if not rows:
        return
    try:
        with transaction.atomic():
            model.objects.bulk_create(rows, batch_size=500)
        return
    except Exception:
        log.exception("notify: bulk insert of %d %s failed; inserting one by one", len(rows), model.__name__)
    for row in rows:
        try:
            with transaction.atomic():
                row.pk = None
                row.save(force_insert=True)
        except Exception:
            log.exception("notify: dropped one %s for user %s", model.__name__, row.__dict__.get("user_id"))


def notification_mark_read(*, notification_id: int, by: Any) -> Notification:
    """Mark one of ``by``'s notifications read (idempotent). Someone else's is NotFound."""
    if not isinstance(notification_id, int) or not 0 < notification_id <= MAX_ID:
        raise NotFound("通知不存在")  # no database takes it as a key: missing, not a server error
    now = timezone.now()
    updated = Notification.objects.filter(pk=notification_id, user_id=by.pk, read_at__isnull=True).update(
        read_at=now
    )
    note = Notification.objects.filter(pk=notification_id, user_id=by.pk).first()
    if note is None:
        raise NotFound("通知不存在")
    if updated:
        note.read_at = note.read_at or now
    return note


def notification_mark_all_read(*, by: Any) -> int:
    """Mark every unread notification of ``by`` read; returns how many changed."""
    return Notification.objects.filter(user_id=by.pk, read_at__isnull=True).update(read_at=timezone.now())


# --- outbox delivery -------------------------------------------------------------------------------


class Sender(Protocol):
    """An adapter for one gateway (SMS, WeChat). Raise to report a failure; return to report success."""

    def __call__(self, message: OutboxMessage) -> None: ...


def logging_sender(message: OutboxMessage) -> None:
    """The default sender: writes the message to the log (development, intranets without a gateway)."""
    log.info(
        "outbox %s #%s to user %s (%s): %s",
        message.channel,
        message.pk,
        message.recipient_id,
        mask_phone(message.phone),
        message.payload.get("title", ""),
    )


def deliver_pending(
    sender: Sender | Callable[[OutboxMessage], None] | None = None,
    *,
    channel: str | None = None,
    limit: int = 200,
) -> dict[str, int]:
    """Send up to ``limit`` pending outbox messages through ``sender``. Each message is claimed under a row
    lock (skipped by concurrent deliverers on PostgreSQL), so two workers never send one message twice.
    Returns ``{"sent": n, "failed": n, "retry": n}``."""
    sender = sender or logging_sender
    counts = {"sent": 0, "failed": 0, "retry": 0}
    qs = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    if channel:
        qs = qs.filter(channel=channel)
    ids = list(qs.order_by("id").values_list("id", flat=True)[:limit])
    for pk in ids:
        with transaction.atomic():
            locked = OutboxMessage.objects.filter(pk=pk, status=OutboxMessage.Status.PENDING)
            if connection.features.has_select_for_update_skip_locked:
                locked = locked.select_for_update(skip_locked=True)
            message = locked.first()
            if message is None:  # another worker has it
                continue
            try:
                sender(message)
            except Exception as exc:
                attempts = message.attempts + 1
                status = OutboxMessage.Status.FAILED if attempts >= MAX_ATTEMPTS else message.status
                OutboxMessage.objects.filter(pk=pk).update(
                    attempts=F("attempts") + 1, status=status, last_error=str(exc)[:300]
                )
                counts["failed" if status == OutboxMessage.Status.FAILED else "retry"] += 1
                continue
            OutboxMessage.objects.filter(pk=pk).update(
                attempts=F("attempts") + 1, status=OutboxMessage.Status.SENT, sent_at=timezone.now()
            )
            counts["sent"] += 1
    return counts
