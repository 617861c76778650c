"""Built-in benchmarks: each loader on real data where it ships here, else on files in the upstream layout."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

import assay.tasks  # noqa: F401
from assay.core.errors import DatasetError
from assay.core.registry import aggregators, tasks
from assay.core.types import (
    ContinuationScore,
    Generation,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    Sample,
    Score,
)
from assay.tasks.library.gpqa import packaged_gpqa_diamond
from assay.tasks.library.math_problems import last_boxed, normalize_math_answer
from assay.tasks.library.mmlu import SUBJECT_GROUPS
from shared_data import shared_data

BIGBENCH = shared_data() / "bigbench"


def result(*logprobs: float) -> LoglikelihoodResult:
    return LoglikelihoodResult(scores=tuple(ContinuationScore(lp, 1, False) for lp in logprobs))


def test_gpqa_diamond_from_the_package_shuffles_options_with_a_seed() -> None:
    task = tasks.get("gpqa_diamond")()
    samples = list(task.samples())
    assert len(samples) == 198
    with packaged_gpqa_diamond().open(encoding="utf-8", newline="") as handle:
        correct = {row["Record ID"]: row["Correct Answer"].strip() for row in csv.DictReader(handle)}
    assert all(s.choices[s.answer_index] == correct[s.id] for s in samples)
    positions = [s.answer_index for s in samples]
    assert len(set(positions)) == 4  # not always the first option
    assert [s.answer_index for s in tasks.get("gpqa_diamond")().samples()] == positions
    assert [s.answer_index for s in tasks.get("gpqa_diamond")(seed=1).samples()] != positions
    request = task.build_request(samples[0], chat=False)
    assert isinstance(request, LoglikelihoodRequest) and request.continuations == (" A", " B", " C", " D")


def test_gpqa_errors_name_the_record_not_the_question(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        "Record ID,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\n"
        "rec1,A secret question about chemistry?,yes,,no,maybe\n"
    )
    with pytest.raises(DatasetError) as info:
        list(tasks.get("gpqa_diamond")(path=str(path)).samples())
    assert "rec1" in str(info.value) and "secret question" not in str(info.value)


def test_hhh_alignment_reads_the_four_bigbench_subtasks_as_groups() -> None:
    task = tasks.get("hhh_alignment")(path=str(BIGBENCH / "hhh_alignment"))
    samples = list(task.samples())
    groups = {}
    for s in samples:
        groups[dict(s.metadata)["group"]] = groups.get(dict(s.metadata)["group"], 0) + 1
    assert groups == {"harmless": 58, "helpful": 59, "honest": 61, "other": 43}
    context = task.build_request(samples[0], chat=False).context
    assert context.startswith("Human: ") and context.endswith("\nAssistant:")


def test_bbq_lite_and_its_bias_aggregate() -> None:
    task = tasks.get("bbq")(path=str(BIGBENCH / "bbq_lite_json"))
    samples = list(task.samples())
    contexts = {dict(s.metadata)["context_condition"] for s in samples}
    assert contexts == {"ambig", "disambig"} and len(samples) > 10_000
    ambig = Sample(
        id="a",
        input="?",
        choices=("The man", "Unknown"),
        answer_index=1,
        metadata=(("context_condition", "ambig"),),
    )
    disambig = Sample(
        id="d",
        input="?",
        choices=("The man", "Unknown"),
        answer_index=0,
        metadata=(("context_condition", "disambig"),),
    )
    items = [
        (ambig, Score({"acc": 0.0}, extracted="The man")),
        (ambig, Score({"acc": 1.0}, extracted="Unknown")),
        (disambig, Score({"acc": 1.0}, extracted="The man")),
    ]
    assert aggregators.get("bbq_bias")(items) == {
        "acc[ambig]": 0.5,
        "acc[disambig]": 1.0,
        "ambiguous_non_unknown_rate": 0.5,
    }


def write_mmlu(root: Path) -> None:
    for split, n in (("dev", 5), ("test", 2)):
        (root / "data" / split).mkdir(parents=True)
        for subject in ("abstract_algebra", "world_religions"):
            rows = [[f"{subject} q{i}?", "w", "x", "y", "z", "ABCD"[i % 4]] for i in range(n)]
            with (root / "data" / split / f"{subject}_{split}.csv").open("w", newline="") as handle:
                csv.writer(handle).writerows(rows)


def test_mmlu_five_shot_from_the_same_subject_scores_letters(tmp_path: Path) -> None:
    assert len(SUBJECT_GROUPS) == 57 and set(SUBJECT_GROUPS.values()) == {
        "STEM",
        "humanities",
        "social sciences",
        "other",
    }
    write_mmlu(tmp_path)
    task = tasks.get("mmlu")(path=str(tmp_path))
    samples = list(task.samples())
    assert [s.id for s in samples] == [
        "abstract_algebra/0",
        "abstract_algebra/1",
        "world_religions/0",
        "world_religions/1",
    ]
    request = task.build_request(samples[2], chat=False)
    assert isinstance(request, LoglikelihoodRequest)
    assert request.context.startswith(
        "The following are multiple choice questions (with answers) about world religions."
    )
    assert request.context.count("world_religions q") == 6 and "abstract_algebra" not in request.context
    assert request.context.endswith("world_religions q0?\nA. w\nB. x\nC. y\nD. z\nAnswer:")
    assert request.continuations == (" A", " B", " C", " D")
    score = task.score(samples[3], result(-3, -0.1, -3, -3))  # row 1 answer is B
    assert score.values["acc"] == 1.0
    cats = aggregators.get("mmlu_categories")(
        [(samples[0], Score({"acc": 1.0})), (samples[2], Score({"acc": 0.0}))]
    )
    assert cats == {"acc[STEM]": 1.0, "acc[humanities]": 0.0}


def test_mmlu_bad_rows_and_subjects_are_named(tmp_path: Path) -> None:
    write_mmlu(tmp_path)
    (tmp_path / "data" / "test" / "abstract_algebra_test.csv").write_text("q?,a,b,c,d,E\n")
    with pytest.raises(DatasetError, match=r"abstract_algebra_test.csv:1: answer None is out of range"):
        list(tasks.get("mmlu")(path=str(tmp_path)).samples())
    with pytest.raises(DatasetError, match="no subject 'astrology'"):
        tasks.get("mmlu")(path=str(tmp_path), subjects="astrology")
    with pytest.raises(DatasetError, match="pool for group 'world_religions' has 5"):
        list(tasks.get("mmlu")(path=str(tmp_path), num_fewshot=6, subjects="world_religions").samples())


def jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_arc_both_layouts_hellaswag_and_boolq(tmp_path: Path) -> None:
    original = {
        "id": "a1",
        "question": {
            "stem": "Which is a metal?",
            "choices": [{"text": "iron", "label": "A"}, {"text": "wood", "label": "B"}],
        },
        "answerKey": "A",
    }
    flat = {
        "id": "a2",
        "question": "Which is wet?",
        "choices": {"text": ["sand", "water"], "label": ["1", "2"]},
        "answerKey": "2",
    }
    arc = list(tasks.get("arc_easy")(path=jsonl(tmp_path / "arc.jsonl", [original, flat])).samples())
    assert [(s.choices, s.answer_index) for s in arc] == [(("iron", "wood"), 0), (("sand", "water"), 1)]
    swag = {
        "ind": 7,
        "activity_label": "Baking",
        "ctx_a": "She mixes the flour.",
        "ctx_b": "then she",
        "endings": ["bakes it [title] well.", "eats the bowl."],
        "label": "0",
    }
    (sample,) = tasks.get("hellaswag")(path=jsonl(tmp_path / "h.jsonl", [swag])).samples()
    assert sample.input == "Baking: She mixes the flour. Then she" and sample.choices[0] == "bakes it. well."
    boolq = tasks.get("boolq")(
        path=jsonl(tmp_path / "b.jsonl", [{"question": "is water wet", "passage": "P.", "answer": True}])
    )
    (sample,) = boolq.samples()
    assert sample.input == "P.\nQuestion: is water wet?\nAnswer:" and sample.answer_index == 1


def test_truthfulqa_mc1_and_mc2_from_the_full_dataset_layout(tmp_path: Path) -> None:
    path = tmp_path / "mc_task.json"
    path.write_text(
        json.dumps(
            [
                {
                    "question": "Is the Earth flat?",
                    "mc1_targets": {"No.": 1, "Yes.": 0, "Maybe.": 0},
                    "mc2_targets": {"No.": 1, "It is round.": 1, "Yes.": 0},
                }
            ]
        )
    )
    (mc1,) = tasks.get("truthfulqa_mc1")(path=str(path)).samples()
    assert mc1.choices == ("No.", "Yes.", "Maybe.") and mc1.answer_index == 0
    mc2_task = tasks.get("truthfulqa_mc2")(path=str(path))
    (mc2,) = mc2_task.samples()
    score = mc2_task.score(mc2, result(math.log(0.5), math.log(0.3), math.log(0.2)))
    assert score.values == {"mc2": pytest.approx(0.8)}


def test_halueval_asks_each_item_twice(tmp_path: Path) -> None:
    row = {
        "knowledge": "Paris is in France.",
        "question": "Where is Paris?",
        "right_answer": "France",
        "hallucinated_answer": "Spain",
    }
    samples = list(tasks.get("halueval_qa")(path=jsonl(tmp_path / "qa_data.json", [row])).samples())
    assert [(s.id, s.answer_index) for s in samples] == [("0/right", 0), ("0/hallucinated", 1)]
    assert "Answer: Spain" in samples[1].input and samples[1].choices == ("No", "Yes")
    with pytest.raises(DatasetError, match="has no 'question'"):
        list(tasks.get("halueval_qa")(path=jsonl(tmp_path / "bad.json", [{"knowledge": "k"}])).samples())


@pytest.mark.parametrize("name", ["ceval", "cmmlu"])
def test_chinese_exams_use_their_layouts(tmp_path: Path, name: str) -> None:
    evaluated, suffix = ("val", "_val") if name == "ceval" else ("test", "")
    dev_suffix = "_dev" if name == "ceval" else ""
    header = "id,question,A,B,C,D,answer\n" if name == "ceval" else ",Question,A,B,C,D,Answer\n"
    for split, sfx, n in ((evaluated, suffix, 2), ("dev", dev_suffix, 5)):
        (tmp_path / split).mkdir()
        rows = "".join(f"{i},题目{i},甲,乙,丙,丁,{'ABCD'[i % 4]}\n" for i in range(n))
        (tmp_path / split / f"law{sfx}.csv").write_text(header + rows, encoding="utf-8")
    task = tasks.get(name)(path=str(tmp_path))
    samples = list(task.samples())
    assert [s.answer_index for s in samples] == [0, 1]
    context = task.build_request(samples[0], chat=False).context
    assert context.startswith("以下是关于law的单项选择题") and context.endswith(
        "题目0\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n答案："
    )


@pytest.mark.parametrize(
    ("answer", "target"),
    [
        ("\\dfrac{1}{2}", "\\frac12"),
        ("1/2", "\\frac{1}{2}"),
        ("5\\text{ cm}", "5"),
        ("\\$18.00", "18"),
        ("\\left(3, 4\\right)", "(3,4)"),
        ("x = 7", "7"),
        ("90^\\circ", "90"),
        (".5", "0.5"),
    ],
)
def test_math_answers_normalise(answer: str, target: str) -> None:
    assert normalize_math_answer(answer) == normalize_math_answer(target)


def test_math_reads_problem_folders_and_the_last_box(tmp_path: Path) -> None:
    assert last_boxed("so \\boxed{\\frac{1}{2}} and then \\boxed{3^{2}}") == "3^{2}"
    assert last_boxed("no box") is None
    (tmp_path / "algebra").mkdir()
    (tmp_path / "algebra" / "1.json").write_text(
        json.dumps(
            {
                "problem": "What is 1/2 + 0?",
                "solution": "It is $\\boxed{\\frac{1}{2}}$.",
                "level": "Level 1",
                "type": "Algebra",
            }
        )
    )
    task = tasks.get("math")(path=str(tmp_path))
    (sample,) = task.samples()
    assert sample.target == "\\frac{1}{2}"
    assert task.score(sample, Generation(text="The answer is \\boxed{\\dfrac12}.")).values == {
        "exact_match": 1.0
    }
    assert task.score(sample, Generation(text="\\boxed{2}")).values == {"exact_match": 0.0}


def test_hub_datasets_fail_clearly_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(DatasetError, match="hf:allenai/ai2_arc"):
        list(tasks.get("arc_challenge")().samples())
