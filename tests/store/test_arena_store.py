"""Battles in the store, on SQLite and PostgreSQL: written once, read back whole, migrated from v1."""

import json
import sqlite3

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from assay.store import Store
from assay.store.battles import battle_sources, load_battles, put_battles
from assay.store.migrations import SCHEMA_VERSION


def battles_frame():
    return pd.DataFrame(
        {
            "model_a": ["m1", "m2", "m1"],
            "model_b": ["m2", "m3", "m3"],
            "winner": ["model_a", "tie", "model_b"],
            "judge": ["u1", None, "u2"],
            "language": ["English", "German", None],
            "turn": [1, 2, np.nan],
            "anony": [True, False, None],
            "tstamp": [1.7e9, 1.7e9 + 60, np.nan],
            "question_id": ["q1", "q2", None],
            "length_a": [10.0, 20.0, 30.0],
            "length_b": [1.0, 2.0, 3.0],
        }
    )


def test_battles_round_trip_and_are_written_once(any_store):
    df = battles_frame()
    assert put_battles(any_store, df, source="file.json") == 3
    assert put_battles(any_store, df, source="file.json") == 0  # same content keys
    loaded = load_battles(any_store)
    assert loaded["model_a"].tolist() == ["m1", "m2", "m1"]  # import order
    assert loaded["winner"].tolist() == ["model_a", "tie", "model_b"]
    assert loaded["judge"].tolist() == ["u1", None, "u2"]
    assert loaded["anony"].tolist() == [True, False, None]
    assert loaded["turn"].tolist()[:2] == [1, 2] and np.isnan(loaded["turn"][2])
    assert loaded["question_id"].tolist() == ["q1", "q2", None]
    assert loaded["length_a"].tolist() == [10.0, 20.0, 30.0]
    assert battle_sources(any_store) == {"file.json": 3}
    assert any_store.counts()["battles"] == 3


def test_identical_rows_without_id_or_time_stay_distinct(any_store):
    df = pd.DataFrame({"model_a": ["a", "a"], "model_b": ["b", "b"], "winner": ["tie", "tie"]})
    assert put_battles(any_store, df, source="s") == 2
    assert put_battles(any_store, df, source="s") == 0
    put_battles(any_store, df.iloc[:1], source="other")
    assert battle_sources(any_store) == {"other": 1, "s": 2}
    assert len(load_battles(any_store, source="s")) == 2


def test_a_v1_store_gains_the_battles_table(tmp_path):
    db = tmp_path / "v1.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # what a v1 store looked like: its tables and version 1
        conn.execute(text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at FLOAT)"))
        conn.execute(text("INSERT INTO schema_version VALUES (1, 0)"))
        conn.execute(
            text(
                "CREATE TABLE runs (id VARCHAR(40) PRIMARY KEY, created_at FLOAT, "
                "finished_at FLOAT, status VARCHAR(20), spec_json TEXT, summary_json TEXT)"
            )
        )
    engine.dispose()
    with Store.open(db) as store:
        put_battles(store, battles_frame(), source="x")
        assert len(load_battles(store)) == 3
    with sqlite3.connect(db) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        style = conn.execute("SELECT style_json FROM battles WHERE source_id = 'q1'").fetchone()[0]
    assert json.loads(style) == {"length_a": 10.0, "length_b": 1.0}
