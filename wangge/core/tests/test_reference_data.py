import pytest

from wangge.registry.models import Tag


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", [1, 2])
def test_seeded_reference_data_survives_transactional_tests(round_: int) -> None:
    # The second round runs after the first one's flush: the catalogue must be back.
    assert Tag.objects.filter(code__isnull=False).count() >= 8
