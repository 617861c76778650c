"""`assay.judge_*`: the judge as Python functions with typed results, every judge call through the engine
(the built-in SmolLM2 GGUF in-process as the judge: grades, PairS comparisons, probability verdicts)."""

from __future__ import annotations

import inspect
import json
from dataclasses import asdict
from pathlib import Path

import pytest

import assay
from assay.core.errors import ConfigError, DatasetError
from assay.judge.prompts import BUILTIN_TEMPLATES
from assay.store import Store

QUESTIONS = [
    assay.Question("q1", ("What is 2 + 2?",), "math", ("4",)),
    assay.Question("q2", ("Name a colour.",)),
]
ANSWERS = [
    assay.Answer("q1", "good", ("2 + 2 = 4",)),
    assay.Answer("q1", "bad", ("2 + 2 = 5, as everyone knows",)),
    assay.Answer("q1", "odd", ("Four, or so",)),
    assay.Answer("q2", "good", ("Blue.",)),
    assay.Answer("q2", "bad", ("Banana, a fruit that is also long",)),
]
JUDGE = "smollm2-135m"


def test_the_judge_api_is_exported_with_docstrings():
    for name in (
        "judge_pairwise",
        "judge_grade",
        "judge_rank",
        "judge_agreement",
        "judge_stats",
        "judge_prompts",
    ):
        function = getattr(assay, name)
        assert name in assay.__all__ and inspect.getdoc(function), name
    assert "store" in inspect.signature(assay.judge_pairwise).parameters


def test_a_model_free_judge_on_records_gives_typed_results_and_battles(tmp_path: Path):
    db, out = tmp_path / "s.db", tmp_path / "judged.jsonl"
    result = assay.judge_pairwise(QUESTIONS, ANSWERS, kind="length", prior=1.0, ci="none", store=db, out=out)
    assert isinstance(result, assay.JudgePairwiseResult) and result.judge == "length"
    assert len(result.judgements) == 4 and result.errors == 0  # q1: three pairs, q2: one
    assert result.run_id is None  # no model, so no model calls to record
    assert result.battles_stored == 4 and result.source == "judge:length"
    assert result.leaderboard is not None and result.leaderboard.rows[0].model == "bad"  # longest answers
    assert (
        isinstance(result.position[0], assay.PositionStats) and result.position[0].longer_answer_win_rate == 1
    )
    assert result.to_json()["pairs"] == 4
    assert [s.consistency for s in assay.judge_stats(out)] == [1.0]
    again = assay.judge_pairwise(QUESTIONS, ANSWERS, kind="length", prior=1.0, ci="none", store=db)
    assert again.battles_stored == 0  # the same battles are stored once


def test_nothing_touches_the_store_when_nothing_needs_it(tmp_path: Path):
    never = tmp_path / "never.db"
    result = assay.judge_pairwise(
        QUESTIONS, ANSWERS, kind="length", store_battles=False, prior=1, store=never
    )
    assert result.battles_stored == 0 and not never.exists()


def test_a_rating_that_cannot_be_fitted_keeps_the_verdicts(tmp_path: Path):
    result = assay.judge_pairwise(
        QUESTIONS[:1], ANSWERS[:2], kind="length", ci="none", store=tmp_path / "s.db"
    )
    assert result.leaderboard is None and "prior" in (result.rating_error or "")
    assert result.battles_stored == 1 and len(result.judgements) == 1


def test_bad_options_are_one_line_errors_before_any_work(tmp_path: Path):
    db = tmp_path / "s.db"
    with pytest.raises(ConfigError, match="ci must be"):
        assay.judge_pairwise(QUESTIONS, ANSWERS, kind="length", ci="wild", store=db)
    with pytest.raises(ConfigError, match="turns must be"):
        assay.judge_grade(QUESTIONS, ANSWERS, kind="length", turns="middle", store=db)
    with pytest.raises(ConfigError, match="method must be"):
        assay.judge_rank(QUESTIONS, ANSWERS, kind="length", method="bubble", store=db)
    with pytest.raises(ConfigError, match="needs a model"):
        assay.judge_pairwise(QUESTIONS, ANSWERS, store=db)
    with pytest.raises(DatasetError, match="nothing to judge"):
        assay.judge_pairwise(QUESTIONS, ANSWERS, kind="length", models=["good"], store=db)
    assert not db.exists()


def test_prompts_and_agreement_through_the_api(tmp_path: Path):
    names = [t.name for t in assay.judge_prompts()]
    assert names == list(BUILTIN_TEMPLATES) and assay.judge_prompts("single")[0].version == "assay-single-1"
    with pytest.raises(ConfigError, match="unknown template"):
        assay.judge_prompts("nope")
    out, human = tmp_path / "judged.jsonl", tmp_path / "human.jsonl"
    assay.judge_pairwise(QUESTIONS, ANSWERS, kind="length", prior=1, store_battles=False, out=out)
    vote = {"question_id": "q2", "model_a": "good", "model_b": "bad", "winner": "model_a", "judge": "expert"}
    human.write_text(json.dumps(vote) + "\n", encoding="utf-8")
    report = assay.judge_agreement(human, out)["length"]
    assert report["rows"][0]["judge_human_with_ties"] == {"agree": 0, "total": 1, "rate": 0.0}


@pytest.mark.slow
def test_grades_go_through_the_engine_and_a_new_template_version_is_a_new_key(tmp_path: Path):
    db = tmp_path / "g.db"
    first = assay.judge_grade(QUESTIONS, ANSWERS, judge=JUDGE, max_tokens=8, store=db)
    assert isinstance(first, assay.JudgeGradeResult) and len(first.grades) == len(ANSWERS)
    assert first.calls.summary is not None and first.calls.summary.sent == len(ANSWERS)
    assert {m.model for m in first.models} == {"good", "bad", "odd"}
    assert all(isinstance(m, assay.ModelGrade) for m in first.models)
    again = assay.judge_grade(QUESTIONS, ANSWERS, judge=JUDGE, max_tokens=8, store=db)
    assert again.calls.summary is not None and again.calls.summary.sent == 0
    assert again.grades == first.grades and again.run_id != first.run_id
    with Store.open(db) as store:
        record = store.get_run(first.run_id or "")
        units = store.results(first.run_id or "")
    assert record.plan.kind == "judge" and record.spec.tasks[0].name == "judge:grade"
    assert record.status == "done" and record.summary is not None and record.summary.answered == len(ANSWERS)
    assert {u.task for u in units} == {"judge:grade"} and all(u.response is not None for u in units)
    # The same text under a new version of the "single" template: the key changes, the judge is asked again.
    renamed = {"single": {**asdict(BUILTIN_TEMPLATES["single"]), "version": "mine-2"}}
    renamed["single"].pop("name")
    overrides = tmp_path / "p.yaml"
    overrides.write_text(json.dumps(renamed), encoding="utf-8")
    third = assay.judge_grade(QUESTIONS, ANSWERS, judge=JUDGE, max_tokens=8, prompts=overrides, store=db)
    # (the version of every template of the family is in the key, so every grade is asked again)
    assert third.calls.summary is not None and third.calls.summary.sent == len(ANSWERS)


@pytest.mark.slow
def test_pairs_rankings_and_probability_verdicts_go_through_the_engine(tmp_path: Path):
    db = tmp_path / "r.db"
    ranked = assay.judge_rank(QUESTIONS, ANSWERS, judge=JUDGE, store=db)
    assert isinstance(ranked, assay.JudgeRankResult)
    assert [r.question_id for r in ranked.rankings] == ["q1", "q2"]
    assert all(r.source == "probabilities" for r in ranked.rankings)
    calls = sum(r.judge_calls for r in ranked.rankings)
    assert ranked.calls.summary is not None and ranked.calls.summary.sent == calls
    again = assay.judge_rank(QUESTIONS, ANSWERS, judge=JUDGE, store=db)
    assert again.calls.summary is not None and again.calls.summary.sent == 0
    assert again.rankings == ranked.rankings

    judged = assay.judge_pairwise(QUESTIONS, ANSWERS, judge=JUDGE, verdicts="probabilities", prior=1.0,
                                  ci="none", store=db)  # fmt: skip
    assert judged.errors == 0 and all(j.forward.method == "probability" for j in judged.judgements)
    assert judged.calls.summary is not None and judged.calls.summary.sent == 2 * len(judged.judgements)
    with Store.open(db) as store:
        assert store.get_run(judged.run_id or "").spec.tasks[0].name == "judge:pairwise"
