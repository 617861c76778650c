"""Reading arena battle files: FastChat JSON/JSONL and the arena-human-preference layout."""

import json

import numpy as np
import pandas as pd
import pytest

from assay.arena.battle_files import STYLE_COLUMNS, has_style, read_battles
from assay.core.errors import DatasetError

FASTCHAT = [
    {
        "question_id": "q1",
        "model_a": "m1",
        "model_b": "m2",
        "winner": "model_a",
        "judge": "u1",
        "anony": True,
        "language": "English",
        "turn": 1,
        "tstamp": 1700000000.5,
        "conv_metadata": {
            "sum_assistant_a_tokens": 120,
            "sum_assistant_b_tokens": 30,
            "header_count_a": {"h1": 1, "h2": 2},
            "header_count_b": {"h1": 0, "h2": 0},
            "list_count_a": {"ordered": 3, "unordered": 1},
            "list_count_b": {"ordered": 0, "unordered": 0},
            "bold_count_a": {"**": 2, "__": 1},
            "bold_count_b": {"**": 0, "__": 0},
        },
    },
    {
        "question_id": "q2",
        "model_a": "m2",
        "model_b": "m3",
        "winner": "tie (bothbad)",
        "judge": "u2",
        "anony": False,
        "language": "Chinese",
        "turn": 2,
        "tstamp": 1700000100.0,
        "conv_metadata": {
            "sum_assistant_a_tokens": 10,
            "sum_assistant_b_tokens": 10,
            "header_count_a": {"h1": 0},
            "header_count_b": {"h1": 0},
            "list_count_a": {"ordered": 0},
            "list_count_b": {"ordered": 0},
            "bold_count_a": {"**": 0},
            "bold_count_b": {"**": 5},
        },
    },
]


def test_fastchat_json_list(tmp_path):
    path = tmp_path / "clean_battle.json"
    path.write_text(json.dumps(FASTCHAT))
    df = read_battles(path)
    assert df["winner"].tolist() == ["model_a", "tie (bothbad)"]
    assert df["anony"].tolist() == [True, False]
    assert df["question_id"].tolist() == ["q1", "q2"]
    assert df["tstamp"].tolist() == [1700000000.5, 1700000100.0]
    assert has_style(df)
    assert df.loc[0, ["length_a", "headers_a", "lists_a", "bold_a"]].tolist() == [120, 3, 4, 3]
    assert df.loc[1, ["length_b", "bold_b"]].tolist() == [10, 5]


def test_fastchat_jsonl_without_metadata(tmp_path):
    path = tmp_path / "battles.jsonl"
    rows = [{k: v for k, v in r.items() if k != "conv_metadata"} for r in FASTCHAT]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    df = read_battles(path)
    assert len(df) == 2 and not has_style(df)


def preference_frame():
    return pd.DataFrame(
        {
            "id": [10, 11, 12],
            "model_a": ["m1", "m2", "m3"],
            "model_b": ["m2", "m3", "m1"],
            "prompt": ['["hi"]'] * 3,
            "response_a": ['["# Title\\n- one\\n- two\\n**bold** words here"]', '["short"]', '["a b c"]'],
            "response_b": ['["plain answer"]', '["1. x\\n2. y"]', '["__u__"]'],
            "winner_model_a": [1, 0, 0],
            "winner_model_b": [0, 1, 0],
            "winner_tie": [0, 0, 1],
        }
    )


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_preference_layout_one_hot_and_text_style(tmp_path, suffix):
    path = tmp_path / f"train{suffix}"
    frame = preference_frame()
    frame.to_parquet(path) if suffix == ".parquet" else frame.to_csv(path, index=False)
    df = read_battles(path)
    assert df["winner"].tolist() == ["model_a", "model_b", "tie"]
    assert df["question_id"].tolist() == ["10", "11", "12"]
    assert df["anony"].isna().all() and df["judge"].isna().all()
    # "# Title\n- one\n- two\n**bold** words here": 1 header, 2 list items, 1 bold and 9
    # whitespace-separated words ("#" and "-" count: length is a word count, not tokens)
    assert [df.loc[0, c] for c in ("length_a", "headers_a", "lists_a", "bold_a")] == [9, 1, 2, 1]
    assert df.loc[1, "lists_b"] == 2 and df.loc[2, "bold_b"] == 1
    assert set(STYLE_COLUMNS) <= set(df.columns)


def test_bad_rows_name_the_row(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(
        json.dumps(
            [
                {"model_a": "x", "model_b": "y", "winner": "model_a"},
                {"model_a": "x", "model_b": "y", "winner": "draw"},
            ]
        )
    )
    with pytest.raises(DatasetError, match=r"b\.json:1:\d+: unknown winner 'draw'"):
        read_battles(path)
    assert len(read_battles(path, skip_invalid=True)) == 1

    path.write_text(json.dumps([{"model_a": "x", "model_b": "x", "winner": "tie"}]))
    with pytest.raises(DatasetError, match=r"b\.json:1: model 'x' battles itself"):
        read_battles(path)

    table = tmp_path / "p.csv"
    pd.DataFrame(
        {"model_a": ["x"], "model_b": ["y"], "winner_model_a": [1], "winner_model_b": [1], "winner_tie": [0]}
    ).to_csv(table, index=False)
    with pytest.raises(DatasetError, match=r"p\.csv:2: exactly one of"):
        read_battles(table)


def test_unreadable_or_incomplete_files(tmp_path):
    with pytest.raises(DatasetError, match=r"cannot read battle file .*missing\.json: it does not exist"):
        read_battles(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(DatasetError, match=r"broken\.json:1: not valid JSON"):
        read_battles(broken)
    partial = tmp_path / "partial.csv"
    pd.DataFrame({"model_a": ["x"], "winner": ["tie"]}).to_csv(partial, index=False)
    with pytest.raises(DatasetError, match=r"missing column.*model_b"):
        read_battles(partial)
    odd = tmp_path / "battles.txt"
    odd.write_text("x")
    with pytest.raises(DatasetError, match="cannot tell the format"):
        read_battles(odd)
    assert np.isnan(read_battles(_one_row_csv(tmp_path))["tstamp"][0])


def _one_row_csv(tmp_path):
    path = tmp_path / "one.csv"
    pd.DataFrame({"model_a": ["x"], "model_b": ["y"], "winner": ["tie"]}).to_csv(path, index=False)
    return path
