"""Tasks declare what their items share (a passage, a subject): the id lands in metadata "cluster"."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import assay
from assay.core.errors import ConfigError, DatasetError
from assay.core.registry import tasks
from assay.tasks.circular import circular
from assay.tasks.spec import load_task_spec


def cluster(sample) -> str | None:
    return dict(sample.metadata).get("cluster")


def jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


SPEC = """
name: passages
dataset: {path: data.jsonl}
fields: {id: id, target: answer, cluster: passage}
prompt: "{{ text }} Q: {{ question }}\\nA:"
"""


def test_task_file_names_the_cluster_field(tmp_path: Path) -> None:
    rows = [{"id": f"q{i}", "text": "T", "question": "?", "answer": "a", "passage": i // 3} for i in range(6)]
    jsonl(tmp_path / "data.jsonl", rows)
    (tmp_path / "task.yaml").write_text(SPEC)
    task = load_task_spec(tmp_path / "task.yaml")
    assert [cluster(s) for s in task.samples()] == ["0", "0", "0", "1", "1", "1"]
    card = assay.task_card(str(tmp_path / "task.yaml"))
    assert card["cluster"] == "passage" and card["full_size"] == 6
    assert card["detectable"].startswith(f"{100 * card['minimum_detectable_effect']:.1f} points")

    jsonl(tmp_path / "data.jsonl", [*rows, {"id": "x", "text": "T", "question": "?", "answer": "a"}])
    with pytest.raises(DatasetError, match=r"fields\.cluster"):
        list(load_task_spec(tmp_path / "task.yaml").samples())
    (tmp_path / "task.yaml").write_text(SPEC.replace("cluster: passage", "cluster: [passage]"))
    with pytest.raises(ConfigError, match=r"fields\.cluster: expected a string"):
        load_task_spec(tmp_path / "task.yaml")


def test_library_tasks_cluster_by_subject_passage_and_row(tmp_path: Path) -> None:
    for split in ("dev", "test"):
        (tmp_path / "data" / split).mkdir(parents=True)
        with (tmp_path / "data" / split / f"anatomy_{split}.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows([[f"q{i}?", "w", "x", "y", "z", "A"] for i in range(5)])
    mmlu = list(tasks.get("mmlu")(path=str(tmp_path)).samples())
    assert {cluster(s) for s in mmlu} == {"anatomy"}

    rows = [{"question": f"q{i}", "passage": "P1." if i < 2 else "P2.", "answer": True} for i in range(3)]
    boolq = list(tasks.get("boolq")(path=jsonl(tmp_path / "b.jsonl", rows)).samples())
    ids = [cluster(s) for s in boolq]
    assert ids[0] == ids[1] != ids[2] and len(ids[0] or "") == 16

    row = {"knowledge": "k", "question": "q", "right_answer": "r", "hallucinated_answer": "h"}
    halu = list(tasks.get("halueval_qa")(path=jsonl(tmp_path / "h.jsonl", [row, row])).samples())
    assert [cluster(s) for s in halu] == ["0", "0", "1", "1"]


def test_rotations_of_a_question_are_one_cluster() -> None:
    rotated = list(circular(tasks.get("arithmetic_mc")(size=2)).samples())
    by_question: dict[str, set[str | None]] = {}
    for sample in rotated:
        by_question.setdefault(str(dict(sample.metadata)["circular_of"]), set()).add(cluster(sample))
    assert [ids for ids in by_question.values()] == [{q} for q in by_question]


def test_task_card_states_the_detectable_difference_at_full_size() -> None:
    card = assay.task_card("mmlu")
    assert card["cluster"] == "subject" and card["full_size"] == 14042
    assert card["minimum_detectable_effect"] == pytest.approx(0.0118, abs=1e-4)
    assert "baseline 0.5, correlation 0.5, power 0.8" in card["detectable"]
