"""Fixtures of the store tests (the shared ones, any_store and pg_url, are in tests/conftest.py)."""

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_targets(request, tmp_path):
    """URLs of two fresh, empty databases on one backend (nothing opened or migrated yet)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    server = request.getfixturevalue("pg_server")
    return _driver(server.create_database()), _driver(server.create_database())


def _driver(url: str) -> str:
    # Store.open maps postgresql:// to psycopg 3; a bare create_engine would look for psycopg2.
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
