"""One use case, one transaction: the top-level service of a use case runs in
``transaction.atomic(durable=True)``, so its writes are committed when it returns and calling it from inside
someone else's transaction is caught as a bug (RuntimeError) instead of silently becoming part of it.

``batch()`` is the one deliberate exception: a caller that runs many use cases in its own transaction (the
demo builder's hooks, a data migration) says so, and inside it the use cases nest as savepoints.

Tests: pytest-django's ``db`` fixture wraps each test in Django's TestCase transaction, which Django marks so
that durable blocks inside it are allowed; a test that wraps a use case in its own ``atomic()`` needs
``batch()`` too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import transaction

F = TypeVar("F", bound=Callable[..., Any])

_in_batch: ContextVar[bool] = ContextVar("wangge_use_case_batch", default=False)


@contextmanager
def batch() -> Iterator[None]:
    """Run several use cases inside the caller's transaction (each nests as a savepoint)."""
    token = _in_batch.set(True)
    try:
        yield
    finally:
        _in_batch.reset(token)


def use_case(func: F) -> F:
    """Decorate the top-level service of a use case: durable atomic, except inside ``batch()``."""

    @functools.wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic(durable=not _in_batch.get()):
            return func(*args, **kwargs)

    return inner  # type: ignore[return-value]
