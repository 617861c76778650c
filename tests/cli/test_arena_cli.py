"""`assay arena import` and `assay arena ratings` as a user runs them."""

import json
import subprocess
import sys

import numpy as np
import pytest

from assay.rank.simulate import battles_to_labels, simulate_battles


def assay(*args, db=None):
    extra = ["--db", str(db)] if db is not None else []
    return subprocess.run(
        [sys.executable, "-m", "assay.cli.main", *args, *extra], capture_output=True, text=True, timeout=300
    )


def assert_one_line_error(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def battle_file(tmp_path_factory):
    battles = simulate_battles(np.array([1.0, 0.4, -0.2, -1.2]), 2_000, seed=9)
    a, b, w = battles_to_labels(battles)
    rng = np.random.default_rng(1)
    records = [
        {
            "question_id": f"q{i}",
            "model_a": a[i],
            "model_b": b[i],
            "winner": w[i],
            "judge": f"j{rng.integers(0, 10)}",
            "anony": bool(i % 4),
            "language": "English",
            "turn": 1,
            "tstamp": 1.7e9 + 300.0 * i,
            "conv_metadata": {
                f"{key}_{side}": int(rng.integers(0, 50))
                for key in ("sum_assistant", "header_count", "list_count", "bold_count")
                for side in "ab"
            },
        }
        for i in range(len(a))
    ]
    for record in records:  # FastChat names the token count sum_assistant_a_tokens
        meta = record["conv_metadata"]
        for side in "ab":
            meta[f"sum_assistant_{side}_tokens"] = meta.pop(f"sum_assistant_{side}")
    path = tmp_path_factory.mktemp("arena") / "clean_battle.json"
    path.write_text(json.dumps(records))
    return path


def test_import_then_rate_with_json_file(battle_file, tmp_path):
    db = tmp_path / "a.db"
    first = assay("arena", "import", str(battle_file), db=db)
    assert first.returncode == 0, first.stderr
    assert "2,000 new battles" in first.stdout
    again = assay("arena", "import", str(battle_file), "--json", db=db)
    assert json.loads(again.stdout) == {
        "source": "clean_battle.json",
        "read": 2000,
        "added": 0,
        "already_stored": 2000,
        "skipped_invalid": 0,
    }

    out = tmp_path / "ratings.json"
    proc = assay("arena", "ratings", "--rounds", "30", "--matrices", "-o", str(out), db=db)
    assert proc.returncode == 0, proc.stderr
    assert "model-000" in proc.stdout and "95% CI (bootstrap)" in proc.stdout
    data = json.loads(out.read_text())
    assert data["battles"] == 2000 and data["method"] == "bradley-terry"
    ratings = [r["rating"] for r in data["ratings"]]
    assert [r["model"] for r in data["ratings"]] == ["model-000", "model-001", "model-002", "model-003"]
    assert ratings == sorted(ratings, reverse=True)
    assert sum(ratings) / 4 == pytest.approx(1000)
    assert all(r["lower"] < r["rating"] < r["upper"] for r in data["ratings"])
    matrices = data["matrices"]
    assert matrices["models"] == [r["model"] for r in data["ratings"]]
    assert sum(map(sum, matrices["battles"])) == 2 * 2000
    assert matrices["empirical_win_fraction"][0][0] is None  # no model battles itself
    assert matrices["empirical_win_fraction"][0][3] > 0.5
    assert matrices["predicted_win_probability"][0][3] > 0.5


def test_filters_style_and_sandwich_from_a_file(battle_file):
    proc = assay(
        "arena",
        "ratings",
        "--file",
        str(battle_file),
        "--style",
        "--ci",
        "sandwich",
        "--anonymous-only",
        "--anchor",
        "model-003=800",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["battles"] == 1500  # every fourth battle is not anonymous
    assert data["filters"] == ["anonymous only: 500 of 2,000 battles removed"]
    assert data["method"] == "bradley-terry+style"
    assert set(data["style_coefficients"]) == {"length", "headers", "lists", "bold"}
    pinned = next(r for r in data["ratings"] if r["model"] == "model-003")
    assert pinned["rating"] == pytest.approx(800) and pinned["upper"] == pytest.approx(800)


def test_elo_method(battle_file):
    proc = assay("arena", "ratings", "--file", str(battle_file), "--method", "elo", "--rounds", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["method"] == "elo" and data["ratings"][0]["model"] == "model-000"


def test_disconnected_battles_are_refused_or_rated_per_group(tmp_path):
    path = tmp_path / "two.json"
    rows = [
        {"model_a": a, "model_b": b, "winner": w}
        for a, b, w in [
            ("a", "b", "model_a"),
            ("b", "a", "model_a"),
            ("c", "d", "model_a"),
            ("d", "c", "tie"),
        ]
    ]
    path.write_text(json.dumps(rows))
    assert_one_line_error(
        assay("arena", "ratings", "--file", str(path)), "disconnected", "{a, b} | {c, d}", "--by-component"
    )
    proc = assay("arena", "ratings", "--file", str(path), "--by-component", "--ci", "sandwich", "--json")
    assert proc.returncode == 0, proc.stderr
    groups = json.loads(proc.stdout)["components"]
    assert [sorted(r["model"] for r in g["ratings"]) for g in groups] == [["a", "b"], ["c", "d"]]


def test_user_mistakes_are_one_line_errors(tmp_path, battle_file):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"model_a": "x", "model_b": "y", "winner": "left"}]))
    assert_one_line_error(
        assay("arena", "import", str(bad), db=tmp_path / "e.db"),
        "bad.json:1: unknown winner 'left'",
        "--skip-invalid",
    )
    assert_one_line_error(assay("arena", "ratings", db=tmp_path / "empty.db"), "no battles in")
    assert_one_line_error(
        assay("arena", "ratings", "--file", str(battle_file), "--since", "yesterday"),
        "--since expects a date",
    )
    assert_one_line_error(
        assay("arena", "ratings", "--file", str(battle_file), "--anchor", "nobody=1"), "anchor model 'nobody'"
    )
    assert_one_line_error(
        assay("arena", "ratings", "--file", str(battle_file), "--method", "elo", "--ci", "sandwich"),
        "online Elo has no sandwich",
    )
    assert_one_line_error(
        assay("arena", "ratings", "--file", str(battle_file), "--since", "2030-01-01"),
        "no battles left to rate",
    )
    undefeated = tmp_path / "undefeated.json"
    undefeated.write_text(
        json.dumps(
            [
                {"model_a": "a", "model_b": "b", "winner": "model_a"},
                {"model_a": "b", "model_b": "c", "winner": "tie"},
            ]
        )
    )
    assert_one_line_error(assay("arena", "ratings", "--file", str(undefeated)), "model 'a' won every battle")
