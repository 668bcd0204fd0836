"""Keyset pagination and capped counts for the registry lists (issue 12).

The resident and household lists are ordered by ``(area_code, id)``, the columns of their scope index. A page
is "the next 30 after this key" (or "the 30 before it", or "the last 30": the index walked backwards), so the
last page of a district costs what the first does; ``OFFSET 435000`` would read and throw away 435,000 rows.

Counts stop at ``COUNT_CAP``: a district's list says "more than 10,000" instead of counting 435,519 rows on
every page. The API keeps ``limit``/``offset`` (and its exact ``count``) for compatibility; it adds
``cursor``/``next_cursor`` for keyset paging, and serves a deep ``offset`` by finding the page's ids on the
scope index alone (an index-only scan) before reading the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

COUNT_CAP = 10_000
KEY = ("area_code", "id")
_MAX_ID = 2**63 - 1


def encode(row: Any) -> str:
    return f"{row.area_code}.{row.pk}"


def decode(cursor: str | None) -> tuple[str, int] | None:
    """``"<area code>.<id>"`` → the key; anything malformed → None (treated as no cursor)."""
    if not cursor or len(cursor) > 60:
        return None
    code, _, pk = cursor.rpartition(".")
    if not pk.isdigit() or len(code) > 24 or not code.isalnum() and code != "":
        return None
    n = int(pk)
    return (code, n) if 0 < n <= _MAX_ID else None


def _after(key: tuple[str, int]) -> Q:
    code, pk = key
    # ``area_code >= code`` is the index condition; the OR settles the rows of the same grid.
    return Q(area_code__gte=code) & (Q(area_code__gt=code) | Q(id__gt=pk))


def _before(key: tuple[str, int]) -> Q:
    code, pk = key
    return Q(area_code__lte=code) & (Q(area_code__lt=code) | Q(id__lt=pk))


@dataclass
class KeysetPage:
    rows: list[Any]
    is_first: bool
    is_last: bool
    count: int
    capped: bool  # count stopped at COUNT_CAP: there are more
    next_cursor: str | None = None
    prev_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def capped_count(qs: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """``(n, capped)``: the number of rows, counting no further than ``cap`` (SELECT COUNT(*) over a
    LIMIT-ed subquery that reads only the index)."""
    n = qs.order_by().values("pk")[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


def keyset_page(
    qs: QuerySet[Any],
    *,
    after: str | None = None,
    before: str | None = None,
    last: bool = False,
    size: int = 30,
    count: bool = True,
) -> KeysetPage:
    """One page of ``qs`` (ordered here by ``(area_code, id)``): the first page, the page after the
    ``after`` cursor, the page before the ``before`` cursor, or the last page."""
    a, b = decode(after), decode(before)
    if a is not None:
        rows = list(qs.filter(_after(a)).order_by(*KEY)[: size + 1])
        is_first, is_last = False, len(rows) <= size
        rows = rows[:size]
    elif b is not None or last:
        base = qs.filter(_before(b)) if b is not None else qs
        rows = list(base.order_by("-area_code", "-id")[: size + 1])
        is_first, is_last = len(rows) <= size, b is None
        rows = rows[:size][::-1]
    else:
        rows = list(qs.order_by(*KEY)[: size + 1])
        is_first, is_last = True, len(rows) <= size
        rows = rows[:size]
    n, capped = capped_count(qs) if count else (len(rows), False)
    return KeysetPage(
        rows=rows,
        is_first=is_first,
        is_last=is_last,
        count=n,
        capped=capped,
        next_cursor=encode(rows[-1]) if rows and not is_last else None,
        prev_cursor=encode(rows[0]) if rows and not is_first else None,
    )


def page_rows_at_offset(qs: QuerySet[Any], offset: int, limit: int) -> list[Any]:
    """``qs[offset:offset + limit]`` in key order, fast at any depth: the ids of the page come from the
    scope index alone (index-only: ``(area_code, id)``), then only those rows are read."""
    if offset < 1000:
        return list(qs.order_by(*KEY)[offset : offset + limit])
    ids = list(qs.order_by(*KEY).values_list("id", flat=True)[offset : offset + limit])
    return list(qs.filter(pk__in=ids).order_by(*KEY)) if ids else []


class RegistryPageIn(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)
    cursor: str | None = Field(None, max_length=60)


class RegistryPageOut(Schema):
    items: list[Any]
    count: int
    next_cursor: str | None = None


class RegistryPagination(PaginationBase):
    """``limit``/``offset`` as before (``count`` exact), plus ``cursor``: the ``next_cursor`` of the previous
    page — keyset paging, the same cost at any depth. With a cursor, ``offset`` is ignored."""

    Input = RegistryPageIn  # type: ignore[assignment]
    Output = RegistryPageOut  # type: ignore[assignment]

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any], pagination: RegistryPageIn, request: HttpRequest, **params: Any
    ) -> Any:
        limit = pagination.limit
        if pagination.cursor:
            page = keyset_page(queryset, after=pagination.cursor, size=limit, count=False)
            rows, more = page.rows, not page.is_last
        else:
            rows = page_rows_at_offset(queryset, pagination.offset, limit + 1)
            more = len(rows) > limit
            rows = rows[:limit]
        return {
            "items": rows,
            "count": queryset.order_by().count(),
            "next_cursor": encode(rows[-1]) if rows and more else None,
        }
