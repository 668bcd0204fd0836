"""Rotating the personal-data key: re-encrypt every ``EncryptedTextField`` and rebuild every blind index
under the current key (``settings.PII_KEY``), while the previous keys still decrypt (``PII_PREVIOUS_KEYS``).

Run it as a job (``wangge rotate_pii_key``, or kind ``rotate_pii_key`` on ``/api/v1/jobs``): it works through
each model in primary-key order, ``batch`` rows per transaction, records its cursor after each batch and
reports progress, so a run that stops resumes where it stopped. Rewriting a row twice is harmless. Rows
that services write meanwhile are already under the new key. Look-ups match the hashes of every configured
key (``pii.blind_indexes``), so finding a resident by ID number keeps working throughout.

When it is done (``check()`` finds nothing stale) drop the old key from ``WANGGE_PII_KEYS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from . import pii

DEFAULT_BATCH = 500


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:  # an app that is not installed
        return None


def plan() -> list[tuple[type[models.Model], list[str], list[tuple[str, str, str]]]]:
    """Per model: its encrypted fields and its blind indexes ``(hash field, plaintext field, purpose)``."""
    out: dict[str, tuple[type[models.Model], list[str], list[tuple[str, str, str]]]] = {}
    for model in apps.get_models():
        encrypted = [f.name for f in model._meta.concrete_fields if isinstance(f, pii.EncryptedTextField)]
        if encrypted:
            out[model._meta.label] = (model, encrypted, [])
    for label, hash_field, source, purpose in pii.BLIND_INDEXES:
        found = _model(label)
        if found is None:
            continue
        entry = out.setdefault(label, (found, [], []))
        entry[2].append((hash_field, source, purpose))
    return sorted(out.values(), key=lambda e: e[0]._meta.label)


def _rotate_tokens() -> int:
    """Tokens whose plaintext is a small catalogue (tag codes): one UPDATE per (code, old key)."""
    changed = 0
    current, *previous = pii.master_keys()
    for label, field, source_label, source_field, purpose in pii.TOKEN_INDEXES:
        model, source = _model(label), _model(source_label)
        if model is None or source is None:
            continue
        with transaction.atomic():
            for value in source._default_manager.values_list(source_field, flat=True):
                new = pii._mac(current, value, purpose)
                for old_key in previous:
                    old = pii._mac(old_key, value, purpose)
                    changed += model._default_manager.filter(**{field: old}).update(**{field: new})
    return changed


def _batches(model: type[models.Model], after: int, batch: int) -> Iterator[list[models.Model]]:
    while True:
        rows = list(model._default_manager.filter(pk__gt=after).order_by("pk")[:batch])
        if not rows:
            return
        yield rows
        after = rows[-1].pk


def run(ctx: Any = None, *, batch: int | None = None) -> dict[str, Any]:
    """Re-encrypt and re-index everything. ``ctx`` is a ``wangge.core.jobs.JobContext`` (or None)."""
    batch = int(batch or (ctx.params.get("batch") if ctx else None) or DEFAULT_BATCH)
    cursor: dict[str, Any] = dict(ctx.cursor) if ctx else {}
    work = plan()
    total = sum(m._default_manager.count() for m, _, _ in work)
    done = int(cursor.get("done", 0))
    if not cursor.get("tokens"):
        cursor["tokens_changed"] = _rotate_tokens()
        cursor["tokens"] = True
        if ctx:
            ctx.save_cursor(**cursor)
    rows_written = 0
    for model, encrypted, indexes in work:
        label = model._meta.label
        after = int(cursor.get(label, 0))
        for rows in _batches(model, after, batch):
            with transaction.atomic():
                for row in rows:
                    for hash_field, source, purpose in indexes:
                        value = getattr(row, source)
                        if value:
                            setattr(row, hash_field, pii._mac(pii.master_keys()[0], value, purpose))
                # The model loaded the plaintext (any key decrypts); saving encrypts it under the current key.
                model._default_manager.bulk_update(rows, [*encrypted, *(h for h, _, _ in indexes)])
            rows_written += len(rows)
            done += len(rows)
            cursor[label] = rows[-1].pk
            cursor["done"] = done
            if ctx:
                ctx.save_cursor(**cursor)
                ctx.progress(min(done, total), total, f"{label} #{rows[-1].pk}")
    return {"rows": rows_written, "tokens": cursor.get("tokens_changed", 0), "models": len(work)}


def check() -> dict[str, int]:
    """Values not yet under the current key, per model (empty when a rotation is complete)."""
    stale: dict[str, int] = {}
    current = pii.master_keys()[0]
    for model, encrypted, indexes in plan():
        n = 0
        if encrypted:
            # The stored tokens, not the decrypted values: the question is which key encrypted them.
            columns = ", ".join(
                connection.ops.quote_name(str(model._meta.get_field(f).column)) for f in encrypted
            )
            with connection.cursor() as cur:
                cur.execute(f"SELECT {columns} FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
                for values in cur:
                    n += sum(1 for v in values if v and not pii.is_current(v))
        for hash_field, source, purpose in indexes:
            pairs = model._default_manager.values_list(source, hash_field).iterator(chunk_size=2000)
            n += sum(1 for value, stored in pairs if value and stored != pii._mac(current, value, purpose))
        if n:
            stale[model._meta.label] = n
    return stale
