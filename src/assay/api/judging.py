"""LLM-as-a-judge: pairwise verdicts (both orders) as arena battles, grades, PairS rankings, agreement
with humans. Every call the judge model makes goes through the engine: cached in the store, retried,
and resumed by running the same call again (only what is not stored is asked).

    import assay
    result = assay.judge_pairwise("q.jsonl", "answers/", judge="smollm2-135m", prior=1, store="s.db")
    result.leaderboard.rows        # Bradley-Terry ratings with intervals
    result.position                # first-position win rate, consistency, longer-answer win rate
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assay.api.stores import StoreLike
from assay.judge import audit, service
from assay.judge.audit import PromptsLike
from assay.judge.inputs import AnswersLike, PathLike, QuestionsLike
from assay.judge.position import PositionStats
from assay.judge.prompts import PromptTemplate
from assay.judge.results import JudgeGradeResult, JudgePairwiseResult, JudgeRankResult
from assay.judge.routing import JudgeSetup

__all__ = ["judge_agreement", "judge_grade", "judge_pairwise", "judge_prompts", "judge_rank", "judge_stats"]


def _setup(
    judge: str | None,
    kind: str,
    judge_args: Mapping[str, Any] | None,
    prompts: PromptsLike,
    verdicts: str = "text",
    max_tokens: int | None = None,
    max_attempts: int = 5,
    timeout: float | None = 600.0,
) -> JudgeSetup:
    templates, where = audit.load_templates(prompts)
    return JudgeSetup(
        judge=judge,
        kind=kind,
        judge_args=dict(judge_args or {}),
        templates=templates,
        prompts_file=where,
        verdicts=verdicts,
        max_tokens=max_tokens,
        max_attempts=max_attempts,
        timeout=timeout,
    )


def judge_pairwise(
    questions: QuestionsLike,
    answers: AnswersLike,
    *,
    judge: str | None = None,
    kind: str = "llm",
    judge_args: Mapping[str, Any] | None = None,
    models: Sequence[str] | None = None,
    turns: str = "all",
    swap: bool = True,
    verdicts: str = "text",
    prompts: PromptsLike = None,
    max_tokens: int | None = None,
    store_battles: bool = True,
    prior: float = 0.0,
    ci: str = "bootstrap",
    out: PathLike | None = None,
    max_attempts: int = 5,
    timeout: float | None = 600.0,
    store: StoreLike = None,
    progress: bool = False,
) -> JudgePairwiseResult:
    """Judge every pair of models on every question (and turn) in both orders; the combined verdicts
    become battles (source `judge:<name>`, stored unless `store_battles=False`) rated by Bradley-Terry.

    `questions`: a questions file (FastChat's question.jsonl fits) or `Question` records; `answers`:
    answer files or folders (FastChat's model_answer/), or `Answer` records. `judge`: the judge model
    (`smollm2-135m`, `openai:NAME` with `judge_args={"base_url": ...}`, `llama.cpp:/m.gguf`, `hf:/dir`);
    `kind`: a registered judge (`llm`, or `length`, a model-free baseline). `verdicts`: `text`
    (parse [[A]]/[[B]]/[[C]]) or `probabilities` (the judge's token probabilities). `prompts`: a YAML
    file or a mapping replacing built-in templates. `out`: write every judgement (raw text too) as JSONL.
    A verdict that cannot be read, or a request that failed after `max_attempts`, is an error: never a
    tie, never a battle. `result.leaderboard` is None when the battles cannot be rated
    (`result.rating_error` says why; a model that won or lost everything needs `prior`, e.g. 1).
    """
    setup = _setup(judge, kind, judge_args, prompts, verdicts, max_tokens, max_attempts, timeout)
    options = service.PairwiseOptions(
        models=tuple(models) if models else None,
        turns=turns,
        swap=swap,
        store_battles=store_battles,
        prior=prior,
        ci=ci,
        out=out,
    )
    return service.judge_pairwise(questions, answers, setup, options, store, progress=progress)


def judge_grade(
    questions: QuestionsLike,
    answers: AnswersLike,
    *,
    judge: str | None = None,
    kind: str = "llm",
    judge_args: Mapping[str, Any] | None = None,
    models: Sequence[str] | None = None,
    turns: str = "all",
    prompts: PromptsLike = None,
    max_tokens: int | None = None,
    out: PathLike | None = None,
    max_attempts: int = 5,
    timeout: float | None = 600.0,
    store: StoreLike = None,
    progress: bool = False,
) -> JudgeGradeResult:
    """Grade every answer and turn on a 1-10 scale (reference-guided when a question has a reference);
    `result.models` holds the mean rating per model, best first, and the number of unreadable grades."""
    setup = _setup(judge, kind, judge_args, prompts, max_tokens=max_tokens, max_attempts=max_attempts,
                   timeout=timeout)  # fmt: skip
    return service.judge_grade(
        questions, answers, setup, models=models, turns=turns, out=out, store=store, progress=progress
    )


def judge_rank(
    questions: QuestionsLike,
    answers: AnswersLike,
    *,
    judge: str | None = None,
    kind: str = "llm",
    judge_args: Mapping[str, Any] | None = None,
    method: str = "greedy",
    calibrate: bool = False,
    beam_size: int = 20,
    gap: float = 0.1,
    prompts: PromptsLike = None,
    max_tokens: int | None = None,
    max_attempts: int = 5,
    timeout: float | None = 600.0,
    store: StoreLike = None,
    progress: bool = False,
) -> JudgeRankResult:
    """PairS: rank the answers to each question (e.g. 16 summaries) with about N log2 N comparisons.

    `method`: `greedy` (merge sort) or `beam` (a beam of `beam_size` merge paths, both branches
    followed where the judge's probability is within `gap` of 0.5). `calibrate` asks both orders of
    every comparison and averages them. Preferences come from the judge's token probabilities when
    its backend gives them, else from its verdicts."""
    setup = _setup(judge, kind, judge_args, prompts, max_tokens=max_tokens, max_attempts=max_attempts,
                   timeout=timeout)  # fmt: skip
    options = service.RankOptions(method=method, calibrate=calibrate, beam_size=beam_size, gap=gap)
    return service.judge_rank(questions, answers, setup, options, store, progress=progress)


def judge_agreement(human: PathLike, judged: PathLike) -> dict[str, dict[str, Any]]:
    """Judge-human agreement (with and without ties) next to human-human agreement, per turn and
    overall, for each judge in `judged` (e.g. the `out` file of `judge_pairwise`). `human`: votes in
    FastChat's MT-Bench human-judgment columns (question_id, model_a, model_b, winner, judge, turn)."""
    return audit.judge_agreement(human, judged)


def judge_stats(judgements: PathLike) -> list[PositionStats]:
    """Each judge's position and length bias, from the `out` file of `judge_pairwise`."""
    return audit.judge_stats(judgements)


def judge_prompts(name: str | None = None, prompts: PromptsLike = None) -> list[PromptTemplate]:
    """The judge prompt templates and their versions (after the overrides in `prompts`); one if named."""
    return audit.judge_prompts(name, prompts)
