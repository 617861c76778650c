"""C-Eval (Huang et al., 2023, NeurIPS Datasets and Benchmarks) and CMMLU (Li et al., 2023,
arXiv:2306.09212): Chinese exam questions, four options, 5-shot from each subject's dev split,
scored by the answer letter's likelihood after a Chinese instruction.

Layouts: C-Eval `dev/<subject>_dev.csv`, `val/<subject>_val.csv` (columns id, question, A, B, C, D,
answer[, explanation]); CMMLU `dev/<subject>.csv`, `test/<subject>.csv` (columns: an index, Question,
A, B, C, D, Answer). Local paths, or the hub (ceval/ceval-exam, haonan-li/cmmlu) when reachable.
"""

from __future__ import annotations

from pathlib import Path

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import Sample
from assay.io import read_rows
from assay.tasks.library.base import LETTERS, ChoiceTask, check_answer, meta


def _sample(subject: str, where: str, row: dict[str, str], keys: tuple[str, str], index: int) -> Sample:
    question_key, answer_key = keys
    missing = [k for k in (question_key, "A", "B", "C", "D", answer_key) if not str(row.get(k) or "").strip()]
    if missing:
        raise DatasetError(f"{where}: the row has no {missing[0]!r}")
    options = [str(row[k]).strip() for k in "ABCD"]
    letter = str(row[answer_key]).strip().upper()
    answer = LETTERS.index(letter) if len(letter) == 1 and letter in "ABCD" else None
    sid = f"{subject}/{row.get('id') or index}"
    return Sample(
        id=sid,
        input=str(row[question_key]).strip(),
        choices=tuple(options),
        answer_index=check_answer(sid, where, options, answer),
        metadata=(("subject", subject), ("group", subject)),
    )


def _split(
    root: Path, split: str, suffix: str, keys: tuple[str, str], subjects: list[str] | None
) -> list[Sample]:
    folder = root / split
    files = sorted(folder.glob(f"*{suffix}.csv")) if folder.is_dir() else []
    chosen = [f for f in files if subjects is None or f.name.removesuffix(f"{suffix}.csv") in subjects]
    if not chosen:
        raise DatasetError(f"no {split} files under {root} for {', '.join(subjects or ['any subject'])}")
    out = []
    for file in chosen:
        subject = file.name.removesuffix(f"{suffix}.csv")
        out += [
            _sample(subject, row.where, row.data, keys, i)
            for i, row in enumerate(read_rows(file, format="csv", what="dataset"))
        ]
    return out


def _instruction(sample: Sample) -> str:
    subject = str(meta(sample, "subject", "")).replace("_", " ")
    return f"以下是关于{subject}的单项选择题，请直接给出正确答案的选项。\n\n"


def _prompt(sample: Sample) -> str:
    lines = "".join(f"\n{LETTERS[i]}. {c}" for i, c in enumerate(sample.choices or ()))
    return f"{sample.input}{lines}\n答案："


def _task(
    name: str,
    citation: str,
    root: str | None,
    splits: tuple[str, str],
    suffix: tuple[str, str],
    keys: tuple[str, str],
    num_fewshot: int,
    subjects: str | None,
) -> ChoiceTask:
    if root is None:
        raise DatasetError(
            f"{name}: pass path= to a local copy (the hub loader needs the `datasets` package "
            "and network; download the CSV folders where a hub is reachable)"
        )
    wanted = [s.strip() for s in subjects.split(",")] if subjects else None

    def load() -> tuple[list[Sample], list[Sample]]:
        base = Path(root)
        evaluated = _split(base, splits[0], suffix[0], keys, wanted)
        pool = _split(base, "dev", suffix[1], keys, wanted) if num_fewshot else []
        return evaluated, pool

    return ChoiceTask(
        name=name,
        citation=citation,
        loader=load,
        prompt=_prompt,
        num_fewshot=num_fewshot,
        shots_by_group=True,
        preamble=_instruction,
        score_letters=True,
        cluster="subject",
    )


@tasks.register("ceval")
def ceval(path: str | None = None, num_fewshot: int = 5, subjects: str | None = None) -> ChoiceTask:
    """C-Eval validation split (its test answers are not public), 5-shot from dev."""
    return _task(
        "ceval",
        "Huang et al., 2023, C-Eval: A Multi-Level Multi-Discipline Chinese Evaluation Suite "
        "for Foundation Models, NeurIPS Datasets and Benchmarks",
        path,
        ("val", "dev"),
        ("_val", "_dev"),
        ("question", "answer"),
        num_fewshot,
        subjects,
    )


@tasks.register("cmmlu")
def cmmlu(path: str | None = None, num_fewshot: int = 5, subjects: str | None = None) -> ChoiceTask:
    """CMMLU test split, 5-shot from dev."""
    return _task(
        "cmmlu",
        "Li et al., 2023, CMMLU: Measuring Massive Multitask Language Understanding in Chinese, "
        "arXiv:2306.09212",
        path,
        ("test", "dev"),
        ("", ""),
        ("Question", "Answer"),
        num_fewshot,
        subjects,
    )
