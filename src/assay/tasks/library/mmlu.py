"""MMLU (Hendrycks et al., 2021, "Measuring Massive Multitask Language Understanding", ICLR):
57 subjects, four options, 5-shot from each subject's dev split, scored by the letter's likelihood.

Data: a local copy in the original layout (`data/dev/<subject>_dev.csv`, `data/test/<subject>_test.csv`,
no header: question, A, B, C, D, answer letter), or `cais/mmlu` from the Hugging Face hub when reachable.
"""

from __future__ import annotations

from pathlib import Path

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import Sample
from assay.io import csv_records, read_hf
from assay.tasks.library.base import LETTERS, ChoiceTask, check_answer, lettered, meta

CITATION = "Hendrycks et al., 2021, Measuring Massive Multitask Language Understanding, ICLR"
_STEM = (
    "abstract_algebra anatomy astronomy college_biology college_chemistry college_computer_science "
    "college_mathematics college_physics computer_security conceptual_physics electrical_engineering "
    "elementary_mathematics high_school_biology high_school_chemistry high_school_computer_science "
    "high_school_mathematics high_school_physics high_school_statistics machine_learning"
)
_HUMANITIES = (
    "formal_logic high_school_european_history high_school_us_history high_school_world_history "
    "international_law jurisprudence logical_fallacies moral_disputes moral_scenarios philosophy "
    "prehistory professional_law world_religions"
)
_SOCIAL = (
    "econometrics high_school_geography high_school_government_and_politics high_school_macroeconomics "
    "high_school_microeconomics high_school_psychology human_sexuality professional_psychology "
    "public_relations security_studies sociology us_foreign_policy"
)
_OTHER = (
    "business_ethics clinical_knowledge college_medicine global_facts human_aging management marketing "
    "medical_genetics miscellaneous nutrition professional_accounting professional_medicine virology"
)
# The four groups of the MMLU paper; every subject in exactly one.
SUBJECT_GROUPS: dict[str, str] = {
    subject: group
    for group, names in (
        ("STEM", _STEM),
        ("humanities", _HUMANITIES),
        ("social sciences", _SOCIAL),
        ("other", _OTHER),
    )
    for subject in names.split()
}


def _subject_sample(
    subject: str, index: int, where: str, question: str, options: list[str], answer: int | None
) -> Sample:
    sid = f"{subject}/{index}"
    return Sample(
        id=sid,
        input=question,
        choices=tuple(options),
        answer_index=check_answer(sid, where, options, answer),
        metadata=(
            ("subject", subject),
            ("group", subject),
            ("category", SUBJECT_GROUPS.get(subject, "other")),
        ),
    )


def _read_csv(path: Path, subject: str) -> list[Sample]:
    """A subject file of the original layout: no header, six cells a question."""
    out = []
    for index, (line, row) in enumerate(csv_records(path, what="dataset")):
        where = f"{path}:{line}"
        if len(row) != 6:
            raise DatasetError(f"{where}: expected 6 columns (question, A, B, C, D, answer), got {len(row)}")
        letter = row[5].strip().upper()
        answer = LETTERS.index(letter) if len(letter) == 1 and letter in LETTERS[:4] else None
        out.append(_subject_sample(subject, index, where, row[0], row[1:5], answer))
    return out


def _local(root: Path, split: str, subjects: list[str] | None) -> list[Sample]:
    folder = root / split if (root / split).is_dir() else root / "data" / split
    if not folder.is_dir():
        raise DatasetError(
            f"MMLU: no {split}/ folder under {root} (expected the original data/{split} layout)"
        )
    files = sorted(folder.glob(f"*_{split}.csv"))
    chosen = [f for f in files if subjects is None or f.name.removesuffix(f"_{split}.csv") in subjects]
    if not chosen:
        raise DatasetError(f"MMLU: no {split} files for {', '.join(subjects or ['any subject'])} in {folder}")
    return [s for f in chosen for s in _read_csv(f, f.name.removesuffix(f"_{split}.csv"))]


def _hub(split: str, subjects: list[str] | None) -> list[Sample]:
    out = []
    for i, record in enumerate(read_hf("cais/mmlu", "all", split)):
        where, row = record.where, record.data
        subject = str(row.get("subject", ""))
        if subjects is None or subject in subjects:
            out.append(
                _subject_sample(
                    subject, i, where, str(row["question"]), list(row["choices"]), int(row["answer"])
                )
            )
    return out


def _header(sample: Sample) -> str:
    subject = str(meta(sample, "subject", "")).replace("_", " ")
    return f"The following are multiple choice questions (with answers) about {subject}.\n\n"


@tasks.register("mmlu")
def mmlu(
    path: str | None = None, num_fewshot: int = 5, subjects: str | None = None, seed: int = 1234
) -> ChoiceTask:
    """MMLU: 57 subjects, 5-shot by default; `subjects=a,b` for a subset; `path=` a local copy."""
    wanted = [s.strip() for s in subjects.split(",")] if subjects else None
    unknown = [s for s in wanted or [] if s not in SUBJECT_GROUPS]
    if unknown:
        raise DatasetError(
            f"MMLU has no subject {unknown[0]!r} (subjects: {', '.join(sorted(SUBJECT_GROUPS))})"
        )

    def load() -> tuple[list[Sample], list[Sample]]:
        if path:
            test = _local(Path(path), "test", wanted)
            pool = _local(Path(path), "dev", wanted) if num_fewshot else []
        else:
            test, pool = _hub("test", wanted), (_hub("dev", wanted) if num_fewshot else [])
        return test, pool

    return ChoiceTask(
        name="mmlu",
        citation=CITATION,
        loader=load,
        prompt=lambda s: lettered(s.input, s.choices or ()),
        num_fewshot=num_fewshot,
        seed=seed,
        shots_by_group=True,
        preamble=_header,
        score_letters=True,
        aggregators=("mmlu_categories",),
        cluster="subject",
        full_size=14042,
    )
