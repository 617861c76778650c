"""LLM-as-a-judge: prompts, strict verdict parsing, position-swap consistency, agreement with humans,
PairS ranking, and judge verdicts as arena battles.

Pure parts (parse, position, agreement, pairs, baselines, render, records) do no I/O; `run` drives a
judge over questions and answers; `routing` gives the judge a model whose every call goes through the
engine (cached in the store, retried, resumable); `service` and `audit` are the commands as operations
(`assay.judge_pairwise` and friends call them); `files` and `inputs` read the inputs; `leaderboard`
hands battles to assay.rank.
"""

from assay.judge.agreement import (
    Agreement,
    Vote,
    agreement_report,
    human_human_agreement,
    judge_human_agreement,
)
from assay.judge.judges import Judge, LengthJudge, LLMJudge, judges
from assay.judge.pairs import beam_search, merge_sort_search, rank_with, run_search
from assay.judge.parse import parse_pairwise_verdict, parse_rating
from assay.judge.position import PositionStats, combine_orders, position_stats
from assay.judge.prompts import BUILTIN_TEMPLATES, PromptTemplate
from assay.judge.types import (
    Answer,
    Grade,
    OrderedJudgement,
    PairwiseJudgement,
    ParsedRating,
    ParsedVerdict,
    Question,
)

__all__ = [
    "BUILTIN_TEMPLATES",
    "Agreement",
    "Answer",
    "Grade",
    "Judge",
    "LLMJudge",
    "LengthJudge",
    "OrderedJudgement",
    "PairwiseJudgement",
    "ParsedRating",
    "ParsedVerdict",
    "PositionStats",
    "PromptTemplate",
    "Question",
    "Vote",
    "agreement_report",
    "beam_search",
    "combine_orders",
    "human_human_agreement",
    "judge_human_agreement",
    "judges",
    "merge_sort_search",
    "parse_pairwise_verdict",
    "parse_rating",
    "position_stats",
    "rank_with",
    "run_search",
]
