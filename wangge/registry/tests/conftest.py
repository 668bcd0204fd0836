from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Password hashing is deliberately slow; these tests create many accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tag_catalogue(request: Any) -> None:
    """Transactional tests (ours and other apps') flush the tables, including the tag catalogue that a
    data migration seeds; put it back for tests that use the database."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from wangge.registry.services import tag_catalogue_ensure

    tag_catalogue_ensure()
