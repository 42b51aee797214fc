from backend.security import hash_password, verify_password


def test_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("wrong horse battery", stored)
    assert hash_password("correct horse battery") != stored  # salted


def test_malformed_hashes_never_verify() -> None:
    for stored in ["", "plain", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AAAA$BBBB"]:
        assert not verify_password("anything", stored)
