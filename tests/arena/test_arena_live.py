"""Live arena vote rules: ownership, hidden names, one vote per battle, votes only after both answers."""

import threading
import time

import pytest
from fastapi.testclient import TestClient

from assay.arena import ArenaConfig
from assay.store.arena_live import LIVE_SOURCE, get_battle, open_battle, put_answer, record_vote, vote_count
from assay.store.battles import battle_sources, load_battles
from assay.web.app import create_app
from assay.web.security import SESSION_COOKIE, session_id_of

SECRET = b"test-secret-" * 3


@pytest.fixture
def client(any_store):
    with TestClient(create_app(any_store, ArenaConfig(models=("m1", "m2")), secret=SECRET)) as c:
        c.store = any_store
        c.token = c.get("/api/session").json()["csrf_token"]
        c.session = session_id_of(SECRET, c.cookies.get(SESSION_COOKIE))  # the id the app stores
        yield c


def vote(client, battle_id, choice):
    return client.post(
        f"/api/arena/battles/{battle_id}/vote", json={"vote": choice}, headers={"X-CSRF-Token": client.token}
    )


def test_vote_rules_through_the_api(client):
    store = client.store
    open_battle(store, "b1", client.session, ("m1", "m2"), "Which is bigger, 3 or 5?")
    hidden = client.get("/api/arena/battles/b1").json()
    assert hidden["model_a"] is None and hidden["model_b"] is None and not hidden["finished"]
    assert vote(client, "b1", "a").status_code == 409  # answers not finished
    put_answer(store, "b1", "a", "5")
    assert vote(client, "b1", "a").status_code == 409  # one side is not enough
    put_answer(store, "b1", "b", "3")
    page = client.get("/arena/b/b1").text
    assert 'id="vote-form"' in page and "m1" not in page and "m2" not in page
    assert vote(client, "b1", "banana").status_code == 409
    first = vote(client, "b1", "a").json()
    assert first["accepted"] and first["battle"]["model_a"] == "m1" and first["battle"]["vote"] == "a"
    again = vote(client, "b1", "b").json()  # a repeated vote changes nothing
    assert not again["accepted"] and again["battle"]["vote"] == "a"
    battles = load_battles(store, source=LIVE_SOURCE)
    assert len(battles) == 1 and battles.iloc[0]["winner"] == "model_a"
    assert battles.iloc[0]["model_a"] == "m1" and battles.iloc[0]["question_id"] == "b1"
    revealed = client.get("/arena/b/b1").text
    assert 'id="name-a">m1<' in revealed and 'id="vote-form"' not in revealed


def test_stream_picks_up_answers_written_by_another_process(client):
    open_battle(client.store, "b4", client.session, ("m1", "m2"), "hi")

    def answer_later():
        time.sleep(0.3)
        put_answer(client.store, "b4", "b", "**second** side")
        time.sleep(0.3)
        put_answer(client.store, "b4", "a", "first side")

    writer = threading.Thread(target=answer_later)
    writer.start()
    with client.stream("GET", "/api/arena/battles/b4/stream") as stream:
        body = "".join(stream.iter_text())
    writer.join()
    events = [line for line in body.splitlines() if line.startswith('data: {"side')]
    assert sorted(e.split('"side": "')[1][0] for e in events) == ["a", "b"]  # the stream waited for both
    assert "first side" in body and "**second** side" in body
    assert client.get("/api/arena/battles/b4").json()["finished"]


def test_another_sessions_battle_is_not_found(client):
    open_battle(client.store, "b2", "someone-else-session-id", ("m1", "m2"), "hi")
    put_answer(client.store, "b2", "a", "x")
    put_answer(client.store, "b2", "b", "y")
    assert client.get("/api/arena/battles/b2").status_code == 404
    assert client.get("/arena/b/b2").status_code == 404
    assert vote(client, "b2", "a").status_code == 404
    assert get_battle(client.store, "b2").vote is None


@pytest.mark.parametrize("choice,winner", [("b", "model_b"), ("tie", "tie"), ("bothbad", "tie (bothbad)")])
def test_vote_kinds_become_battle_winners(client, choice, winner):
    open_battle(client.store, "b3", client.session, ("m2", "m1"), "hi")
    put_answer(client.store, "b3", "a", "x")
    put_answer(client.store, "b3", "b", "y")
    assert vote(client, "b3", choice).json()["accepted"]
    assert load_battles(client.store).iloc[0]["winner"] == winner


def test_racing_votes_count_once(any_store):
    ids = [f"race-{i}" for i in range(5)]
    for battle_id in ids:
        open_battle(any_store, battle_id, "session-" + "x" * 20, ("m1", "m2"), "hi")
        put_answer(any_store, battle_id, "a", "x")
        put_answer(any_store, battle_id, "b", "y")
    results = []

    def voter(battle_id, choice):
        results.append(record_vote(any_store, battle_id, "session-" + "x" * 20, choice))

    threads = [threading.Thread(target=voter, args=(b, c)) for b in ids for c in ("a", "b", "tie", "a")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == len(ids)
    assert vote_count(any_store) == len(ids) == battle_sources(any_store)[LIVE_SOURCE]


def test_real_battle_with_builtin_models(tmp_path):
    """Two real llama.cpp models (the built-in SmolLM2 by alias and by file) answer and stream."""
    from assay.store import Store
    from servers import smollm2_gguf

    models = ("smollm2-135m", f"llama.cpp:{smollm2_gguf()}")
    with (
        Store.open(tmp_path / "s.db") as store,
        TestClient(create_app(store, ArenaConfig(models=models, max_tokens=8))) as client,
    ):
        token = client.get("/api/session").json()["csrf_token"]
        battle_id = client.post(
            "/api/arena/battles", json={"prompt": "Say hello."}, headers={"X-CSRF-Token": token}
        ).json()["id"]
        assert len(battle_id) >= 32
        with client.stream("GET", f"/api/arena/battles/{battle_id}/stream") as stream:
            body = "".join(stream.iter_text())
        assert body.count("event: answer") == 2 and body.rstrip().endswith("data: {}")
        with client.stream("GET", f"/api/arena/battles/{battle_id}/stream") as stream:  # a second tab
            assert "".join(stream.iter_text()).count("event: answer") == 2
        deadline = time.monotonic() + 30
        while not client.get(f"/api/arena/battles/{battle_id}").json()["finished"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        result = client.post(
            f"/api/arena/battles/{battle_id}/vote", json={"vote": "tie"}, headers={"X-CSRF-Token": token}
        ).json()
        assert result["accepted"] and {result["battle"]["model_a"], result["battle"]["model_b"]} == set(
            models
        )
        assert result["battle"]["answer_a"] and result["battle"]["answer_b"]


def test_migration_adds_the_live_table_to_an_older_store(tmp_path):
    from sqlalchemy import create_engine, delete, inspect, text

    from assay.store import Store
    from assay.store.migrations import MIGRATIONS, SCHEMA_VERSION, v4_arena_live
    from assay.store.schema import SchemaVersion

    path = tmp_path / "old.db"
    Store.open(path).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # make it look like a store written before the live arena existed
        conn.execute(text("DROP TABLE arena_live_battles"))
        before = MIGRATIONS.index(v4_arena_live)  # the version just before this step
        conn.execute(delete(SchemaVersion).where(SchemaVersion.version > before))
    engine.dispose()
    with Store.open(path) as store:
        assert "arena_live_battles" in inspect(store.engine).get_table_names()
        open_battle(store, "b", "s" * 24, ("m1", "m2"), "hi")
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar() == SCHEMA_VERSION
