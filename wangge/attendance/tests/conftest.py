from __future__ import annotations

import pytest

from wangge.testing import Tree, make_tree


@pytest.fixture
def tree(db) -> Tree:  # type: ignore[no-untyped-def]
    return make_tree()
