# --- store fixtures ---
# A private PostgreSQL for the session (tests/pg.py) and a store on each backend.
import os

import pytest

from host_share import host_share


@pytest.fixture(autouse=True)
def _share_the_host(request):
    """Exclusive tests run alone when xdist runs several workers (see tests/host_share.py)."""
    worker = getattr(request.config, "workerinput", None)  # set only in an xdist worker
    test_run = worker["testrunuid"] if worker else None
    with host_share(test_run, exclusive=request.node.get_closest_marker("exclusive") is not None):
        yield


@pytest.fixture(scope="session")
def pg_server():
    from pg import PgUnavailable, start_server

    try:
        server = start_server()
    except PgUnavailable as exc:
        # CI installs PostgreSQL, so there a missing server is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests cannot run: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL tests need a local server: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """URL of a fresh, empty database on the session's server."""
    return pg_server.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request, tmp_path):
    """An open Store on a fresh SQLite file or a fresh PostgreSQL database."""
    from assay.store import Store

    target = tmp_path / "store.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = Store.open(target)
    yield store
    store.close()


# --- end store fixtures ---


# --- openai-compatible server fixtures ---
# A real llama-cpp-python server on SmolLM2 for the session (tests/servers.py).
@pytest.fixture(scope="session")
def llama_server():
    """Base URL (http://127.0.0.1:PORT/v1) of the session's llama_cpp.server."""
    from servers import llama_server as start_llama_server

    with start_llama_server() as base_url:
        yield base_url


# --- end openai-compatible server fixtures ---
