import pytest

from wangge.core import pii
from wangge.testing import make_id_number


def test_valid_id_number_passes_and_bad_check_digit_fails() -> None:
    good = make_id_number("19650312", 17)
    assert pii.validate_id_number(good) is None
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert pii.validate_id_number(bad) == "身份证号校验位错误"
    assert "出生日期" in (pii.validate_id_number("320621" + "19651332" + "0017") or "")
    assert pii.validate_id_number("12345") is not None


def test_masking_follows_domain_conventions() -> None:
    assert pii.mask_id_number("320621196503120178") == "320621********0178"
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_name("张三") == "张*"
    assert pii.mask_name("欧阳娜娜") == "欧***"
    assert pii.mask_address("海安市城东街道东园路1号") == "海安市***"


def test_encryption_round_trips_and_is_not_plaintext() -> None:
    token = pii.encrypt("320621196503120178")
    assert "320621196503120178" not in token
    assert pii.decrypt(token) == "320621196503120178"
    assert pii.encrypt("x") != pii.encrypt("x")  # random IV: equal values do not look equal


def test_blind_index_is_stable_and_normalised() -> None:
    assert pii.blind_index("32062119650312017x", "id") == pii.blind_index(" 32062119650312017X", "id")
    assert pii.blind_index("13812345678", "id") != pii.blind_index("13812345678", "phone")


def test_decrypt_with_wrong_key_raises(settings: pytest.FixtureRequest) -> None:
    token = pii.encrypt("secret")
    settings.PII_KEY = "another-key"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="WANGGE_PII_KEY"):
        pii.decrypt(token)
