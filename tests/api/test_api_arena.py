"""The arena through `import assay`: import battle files, list sources, rate the models (the same
numbers `assay arena ratings --json` prints), and the live arena's store helpers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import assay
from assay.core.errors import AssayError, ConfigError, DatasetError
from assay.rank.simulate import battles_to_labels, simulate_battles
from assay.store.arena_live import open_battle, put_answer, record_vote

MODELS = ["model-000", "model-001", "model-002", "model-003"]


def cli(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "assay.cli.main", *args, "--json"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def as_printed(value: dict) -> dict:
    """What a JSON reader sees: tuples become lists, floats round-trip exactly."""
    return json.loads(json.dumps(value))


@pytest.fixture(scope="module")
def battle_file(tmp_path_factory):
    """600 FastChat battles among four models of known strength, with judges, times and style counts."""
    battles = simulate_battles(np.array([1.0, 0.4, -0.2, -1.2]), 600, seed=4)
    a, b, w = battles_to_labels(battles)
    rng = np.random.default_rng(2)
    records = []
    for i in range(len(a)):
        meta = {f"sum_assistant_{s}_tokens": int(rng.integers(1, 400)) for s in "ab"}
        for key in ("header_count", "list_count", "bold_count"):
            meta.update({f"{key}_{s}": int(rng.integers(0, 9)) for s in "ab"})
        records.append(
            {
                "question_id": f"q{i}",
                "model_a": a[i],
                "model_b": b[i],
                "winner": w[i],
                "judge": f"j{i % 7}",
                "anony": bool(i % 3),
                "language": "English" if i % 5 else "German",
                "tstamp": 1.7e9 + 600.0 * i,
                "conv_metadata": meta,
            }
        )
    path = tmp_path_factory.mktemp("arena") / "battles.json"
    path.write_text(json.dumps(records))
    return path


def test_import_list_and_rate_stored_battles(any_store, battle_file):
    first = assay.arena_import(battle_file, store=any_store)
    assert first.to_dict() == {
        "source": "battles.json",
        "read": 600,
        "added": 600,
        "already_stored": 0,
        "skipped_invalid": 0,
    }
    again = assay.arena_import(battle_file, store=any_store)
    assert (again.added, again.already_stored) == (0, 600)
    assert assay.arena_sources(store=any_store) == {"battles.json": 600}

    rated = assay.arena_ratings(store=any_store, rounds=20, matrices=True)
    assert (rated.battles, rated.battles_read, rated.filters) == (600, 600, ())
    rows = rated.table.rows
    assert [r.model for r in rows] == MODELS  # simulated strengths, best first
    assert sum(r.rating for r in rows) / 4 == pytest.approx(1000)
    assert all(r.lower <= r.rating <= r.upper for r in rows)
    matrices = rated.groups[0].matrices
    assert matrices is not None and list(matrices.models) == MODELS
    assert sum(map(sum, matrices.battles)) == 2 * 600
    frame = rated.to_frame()
    assert list(frame["model"]) == MODELS and list(frame.columns[:3]) == ["group", "rank", "model"]
    assert assay.arena_sources(store=any_store) == {"battles.json": 600}  # the given store stays open


@pytest.mark.parametrize(
    ("options", "flags"),
    [
        ({"rounds": 20, "matrices": True}, "--rounds 20 --matrices"),
        (
            {"style": True, "ci": "sandwich", "anonymous_only": True, "anchor": "model-003=800"},
            "--style --ci sandwich --anonymous-only --anchor model-003=800",
        ),
        (
            {"method": "elo", "rounds": 5, "languages": ["english"], "since": "2023-11-15", "daily_cap": 20},
            "--method elo --rounds 5 --language english --since 2023-11-15 --daily-cap 20",
        ),
    ],
    ids=["stored-bt", "file-style-sandwich", "file-elo-filters"],
)
def test_api_gives_the_numbers_the_cli_prints(tmp_path, battle_file, options, flags):
    db = tmp_path / "arena.db"
    if "style" in options or "method" in options:  # from the file directly
        api = assay.arena_ratings(battle_file, **options)
        printed = cli("arena", "ratings", "--file", str(battle_file), *flags.split())
    else:
        assay.arena_import(battle_file, store=db)
        api = assay.arena_ratings(store=db, **options)
        printed = cli("arena", "ratings", "--db", str(db), *flags.split())
    assert as_printed(api.to_dict()) == printed
    assert bool(api.filters) == ("languages" in options or "anonymous_only" in options)


def test_disconnected_models_are_refused_or_rated_per_group(tmp_path):
    path = tmp_path / "two.json"
    pairs = [("a", "b", "model_a"), ("b", "a", "model_a"), ("c", "d", "model_a"), ("d", "c", "tie")]
    path.write_text(json.dumps([{"model_a": a, "model_b": b, "winner": w} for a, b, w in pairs]))
    with pytest.raises(assay.DisconnectedComparisonError) as refused:
        assay.arena_ratings(path)
    assert refused.value.components == [["a", "b"], ["c", "d"]]
    assert "{a, b} | {c, d}" in str(refused.value)

    per_group = assay.arena_ratings(path, by_component=True, ci="sandwich")
    assert [sorted(r.model for r in g.table.rows) for g in per_group.groups] == [["a", "b"], ["c", "d"]]
    assert len(per_group.to_dict()["components"]) == 2
    with pytest.raises(ValueError, match="2 groups"):
        _ = per_group.table


def test_mistakes_are_one_line_errors(tmp_path, battle_file):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [
                {"model_a": "x", "model_b": "y", "winner": "left"},
                {"model_a": "x", "model_b": "y", "winner": "model_a"},
            ]
        )
    )
    with pytest.raises(DatasetError, match=r"bad\.json:1:\d+: unknown winner 'left'.*--skip-invalid"):
        assay.arena_import(bad, store=tmp_path / "bad.db")
    kept = assay.arena_import(bad, skip_invalid=True, store=tmp_path / "bad.db")
    assert (kept.read, kept.added, kept.skipped_invalid) == (1, 1, 1)

    with pytest.raises(DatasetError, match="no battles in"):
        assay.arena_ratings(store=tmp_path / "empty.db")
    with pytest.raises(DatasetError, match="no battles of source 'nope' in"):
        assay.arena_ratings(source="nope", store=tmp_path / "bad.db")
    for options, message in [
        ({"method": "glicko"}, "--method must be bt or elo"),
        ({"ci": "jackknife"}, "--ci must be"),
        ({"method": "elo", "style": True}, "online Elo has no sandwich intervals or style control"),
        ({"level": 1.5}, "--level must be between 0 and 1"),
        ({"anchor": "x=inf"}, "--anchor value must be finite"),
        ({"since": "yesterday"}, "--since expects a date"),
        ({"format": "xml"}, "--format must be auto, fastchat or preference"),
    ]:
        with pytest.raises(ConfigError, match=message):
            assay.arena_ratings(battle_file, **options)
    with pytest.raises(DatasetError, match="no battles left to rate"):
        assay.arena_ratings(battle_file, since="2030-01-01")


def test_ratings_saved_as_json(tmp_path, battle_file):
    rated = assay.arena_ratings(battle_file, ci="none", min_battles=1)
    path = rated.save(tmp_path / "out" / "ratings.json")
    assert json.loads(path.read_text()) == as_printed(rated.to_dict())
    assert rated.to_dict()["interval"] == "none"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["ratings.json"]  # no temporary file left


def test_live_battles_are_deleted_and_model_names_checked(any_store):
    for i, vote in enumerate(["a", "tie"]):
        open_battle(any_store, f"b{i}", "s" * 24, ("m1", "m2"), "hi")
        put_answer(any_store, f"b{i}", "a", "x")
        put_answer(any_store, f"b{i}", "b", "y")
        assert record_vote(any_store, f"b{i}", "s" * 24, vote)
    assert assay.arena_sources(store=any_store) == {"arena-live": 2}
    assert assay.delete_live_battles(store=any_store) == 2
    assert assay.arena_sources(store=any_store) == {}

    assert assay.check_model_names(iter(["smollm2-135m", "openai:gpt-x"])) == ("smollm2-135m", "openai:gpt-x")
    with pytest.raises(AssayError, match="unknown model 'no-such-model'"):
        assay.check_model_names(["no-such-model"])
