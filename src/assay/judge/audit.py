"""How far a judge can be trusted, from files: agreement with human votes, position and length bias of a
judgements file, and the prompt templates a judge uses."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.core.errors import ConfigError, DatasetError
from assay.judge.agreement import Vote, agreement_report, vote_from_record
from assay.judge.files import read_records, read_votes
from assay.judge.inputs import PathLike
from assay.judge.position import PositionStats, position_stats
from assay.judge.prompt_file import load_prompt_file
from assay.judge.prompts import BUILTIN_TEMPLATES, PromptTemplate
from assay.judge.records import judgement_from_record
from assay.judge.types import PairwiseJudgement

PromptsLike = PathLike | Mapping[str, PromptTemplate] | None


def load_templates(prompts: PromptsLike) -> tuple[dict[str, PromptTemplate] | None, str | None]:
    """(templates, where from): a YAML overrides file, a mapping of templates, or None (built-ins)."""
    if prompts is None:
        return None, None
    if isinstance(prompts, Mapping):
        return dict(prompts), "templates given in memory"
    return load_prompt_file(Path(prompts)), str(prompts)


def judge_prompts(name: str | None = None, prompts: PromptsLike = None) -> list[PromptTemplate]:
    """The prompt templates with their versions (after the overrides in `prompts`); one if named."""
    known = load_templates(prompts)[0] or dict(BUILTIN_TEMPLATES)
    if name is not None and name not in known:
        raise ConfigError(f"unknown template {name!r} (known: {', '.join(known)})")
    return [known[name]] if name else list(known.values())


def judge_agreement(human: PathLike, judged: PathLike) -> dict[str, dict[str, Any]]:
    """Per judge in `judged`: judge-human agreement (with and without ties) next to human-human."""
    humans = read_votes(Path(human))
    # A judgement with no winner (an error) is no vote.
    records = [(w, r) for w, r in read_records(Path(judged)) if r.get("winner") is not None]
    per_judge: dict[str, list[Vote]] = {}
    for where, record in records:
        vote = vote_from_record(record, where=where)
        per_judge.setdefault(vote.judge, []).append(vote)
    if not per_judge:
        raise DatasetError(f"{judged}: no judge votes with a winner")
    return {name: agreement_report(votes, humans) for name, votes in sorted(per_judge.items())}


def read_judgements(path: PathLike) -> list[PairwiseJudgement]:
    """The --out file of `assay judge pairwise`, back as judgements; a foreign row is a one-line error."""
    judged = []
    for where, record in read_records(Path(path)):
        try:
            judged.append(judgement_from_record(record))
        except KeyError as exc:
            raise DatasetError(
                f"{where}: not a judgement of `assay judge pairwise` (no field {exc})"
            ) from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise DatasetError(f"{where}: not a judgement of `assay judge pairwise` ({exc})") from None
    if not judged:
        raise DatasetError(f"{path}: no judgements (the --out file of `assay judge pairwise`)")
    return judged


def judge_stats(judgements: PathLike) -> list[PositionStats]:
    """Position and length bias of each judge in a judgements file."""
    return position_stats(read_judgements(judgements))
