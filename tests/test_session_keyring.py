"""Demo without an OS keyring: an in-process keyring keeps the encrypted cache and the access
log working for the session; nothing is written to a file."""

import keyring
from keyring.backends import fail

from app.core.session_keyring import SessionKeyring, os_keyring_available, use_session_keyring


def test_session_keyring_backs_the_encrypted_cache_and_audit(tmp_path):
    from app.core.audit import AccessLog
    from app.models.db import open_cache

    previous = keyring.get_keyring()
    try:
        keyring.set_keyring(fail.Keyring())
        assert not os_keyring_available()
        use_session_keyring()
        assert isinstance(keyring.get_keyring(), SessionKeyring) and os_keyring_available()
        db = open_cache(tmp_path / "cache.sqlite3")
        assert db.encrypted
        log = AccessLog.open(db, user="demo")
        log.search_cpr("0101201234")
        assert [e.action for e in log.for_citizen("010120-1234")] == ["search_cpr"]
        db.engine.dispose()
        assert b"SQLite format 3" not in (tmp_path / "cache.sqlite3").read_bytes()[:16]
        assert not [p for p in tmp_path.rglob("*") if "key" in p.name]
    finally:
        keyring.set_keyring(previous)
