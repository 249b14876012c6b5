"""Tell a damaged database from other database trouble (shared by the gateway store and the
client cache).

SQLite (and SQLCipher) report a damaged file as SQLITE_CORRUPT ("database disk image is
malformed") or SQLITE_NOTADB ("file is not a database"; SQLCipher also when a page's HMAC
fails); PostgreSQL as SQLSTATE class XX (data_corrupted, index_corrupted). `is_damage` looks
through SQLAlchemy's wrapper and the exception chain. Qt-free; never logs anything.
"""

from __future__ import annotations

SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
_DAMAGE_WORDS = (
    "malformed",
    "not a database",
    "hmac",
    "corrupt",
    "unable to get the page",
)
_PG_DAMAGE = ("XX001", "XX002")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or any(cur is s for s in seen) or len(seen) > 16:
            continue
        seen.append(cur)
        todo.extend((getattr(cur, "orig", None), cur.__cause__, cur.__context__))
    return seen


def is_damage(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) says the database file or its data is damaged."""
    for cur in _chain(exc):
        code = getattr(cur, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB):
            return True
        sqlstate = getattr(cur, "sqlstate", None) or getattr(cur, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate in _PG_DAMAGE:
            return True
        module = type(cur).__module__
        if module.startswith(("sqlite3", "sqlcipher3", "pysqlite")):
            text = str(cur).lower()
            if any(word in text for word in _DAMAGE_WORDS):
                return True
    return False
