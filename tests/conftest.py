"""Shared fixtures. Every test gets its own data dir and a test keyring backend; nothing
touches the user's real files or keyring. Qt runs offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared").resolve()
CORPUS = SHARED / "corpus"
MESSAGES = CORPUS / "messages"
SPEC_EXAMPLES = SHARED / "spec" / "memo" / "examples"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    from app import paths

    data = tmp_path / "data"
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(data))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    paths.set_data_dir(None)
    yield data
    paths.set_data_dir(None)


# --- PostgreSQL for tests marked `postgres` (team mode) -------------------------------------
_PG = None
PG_ENV = "POSTFORDELER_TEST_PG_URL"


def pytest_sessionstart(session):
    global _PG
    if os.environ.get(PG_ENV) or os.environ.get("POSTFORDELER_NO_PG"):
        return
    from tests.pg_server import PgServer

    server = PgServer()
    if not server.available:
        return
    try:
        os.environ[PG_ENV] = server.start()
        _PG = server
    except Exception as exc:
        print(f"\nPostgreSQL test server could not start: {exc}")
        server.stop()


def pytest_sessionfinish(session, exitstatus):
    if _PG is not None:
        _PG.stop()


@pytest.fixture
def pg_url():
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(
            "no PostgreSQL server (install Debian 'postgresql' or set POSTFORDELER_TEST_PG_URL)"
        )
    return url
