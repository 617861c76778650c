"""DeclarativeTask: a Task built from a TaskSpec (YAML/TOML), so users add benchmarks without code."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from assay.core.errors import ConfigError, DatasetError
from assay.core.flags import parse_flag
from assay.core.registry import tasks
from assay.core.types import (
    GenerateRequest,
    GenerationParams,
    LoglikelihoodRequest,
    Message,
    Request,
    Response,
    Sample,
    Score,
)
from assay.io import check_unique_ids
from assay.metrics.text import exact_match, token_f1
from assay.sandbox import Limits
from assay.tasks.answers import extract_choice_letter, extract_final_number, normalize_number
from assay.tasks.base import pick_fewshot
from assay.tasks.code import extract_code, run_tests
from assay.tasks.multiple_choice import score_choices
from assay.tasks.spec.rows import (
    check_template_fields,
    compile_template,
    dataset_rows,
    default_shot_answer,
    render,
    row_sample,
)
from assay.tasks.spec.schema import DatasetSpec, TaskSpec, read_spec_file

SPEC_SUFFIXES = (".yaml", ".yml", ".toml")


@dataclass
class DeclarativeTask:
    spec: TaskSpec
    _samples: list[Sample] = field(default_factory=list, repr=False)
    _shots: list[Sample] = field(default_factory=list, repr=False)
    _loaded: bool = field(default=False, repr=False)
    _template: jinja2.Template | None = field(default=None, repr=False)
    unsafe_no_sandbox: bool = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def output_type(self) -> str:
        return "multiple_choice" if self.spec.output.type == "multiple_choice" else "generate"

    @property
    def metric_names(self) -> tuple[str, ...]:
        return self.spec.metrics

    @property
    def citation(self) -> str:
        return self.spec.citation

    @property
    def executes_code(self) -> bool:
        return self.spec.scoring.type == "code_execution"

    @property
    def aggregators(self) -> tuple[str, ...]:
        return ("pass_at_k",) if self.executes_code else ()

    def _read(self, dataset: DatasetSpec, what: str) -> list[Sample]:
        prompt = compile_template(self.spec, "prompt", self.spec.prompt)
        shot_text = self.spec.fewshot.answer or default_shot_answer(self.spec)
        shot_answer = compile_template(self.spec, "fewshot.answer", shot_text)
        out: list[Sample] = []
        for index, row in enumerate(dataset_rows(dataset)):
            if index == 0:
                check_template_fields(self.spec, "prompt", self.spec.prompt, row.where, row.data)
                check_template_fields(self.spec, "fewshot.answer", shot_text, row.where, row.data)
            out.append(row_sample(self.spec, index, row.where, row.data, prompt, shot_answer))
        if not out:
            raise DatasetError(f"{self.spec.source}: the {what} has no rows")
        check_unique_ids(((s.id, str(dict(s.metadata)["where"])) for s in out), "sample id")
        return out

    def _load(self) -> None:
        if self._loaded:
            return
        rows = self._read(self.spec.dataset, "dataset")
        few = self.spec.fewshot
        pool: list[Sample] = []
        if few.path is not None:
            pool = self._read(
                dataclasses.replace(
                    self.spec.dataset, path=few.path, hf_name=None, bigbench=None, field=None, format=None
                ),
                "few-shot pool",
            )
        elif few.holdout is not None:
            if few.holdout >= len(rows):
                raise ConfigError(
                    f"{self.spec.source}: fewshot.holdout: {few.holdout} rows held out "
                    f"leaves nothing to evaluate (the dataset has {len(rows)})"
                )
            rows, pool = rows[: -few.holdout], rows[-few.holdout :]
        if few.num > len(pool) and few.num:
            raise ConfigError(
                f"{self.spec.source}: fewshot.num: {few.num} examples asked for but the pool has {len(pool)}"
            )
        self._samples, self._shots = rows, pick_fewshot(pool, few.num, few.seed)
        self._loaded = True

    def samples(self) -> Iterator[Sample]:
        self._load()
        return iter(self._samples)

    def _prompt(self, sample: Sample) -> str:
        """The sample's prompt, rendered from its row with the sample's own option order (a
        CircularEval rotation changes the order; the row stays the same)."""
        meta = dict(sample.metadata)
        if "row" not in meta:
            return sample.input
        if self._template is None:
            self._template = compile_template(self.spec, "prompt", self.spec.prompt)
        return render(self._template, meta["row"], sample, str(meta.get("where", sample.id)))

    def _completion_text(self, sample: Sample) -> str:
        sep = self.spec.fewshot.separator
        shots = [f"{s.input}{_shot_answer(s, leading=True)}" for s in self._shots]
        return sep.join([*shots, self._prompt(sample)])

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        self._load()
        out = self.spec.output
        if out.type == "multiple_choice":
            assert sample.choices is not None
            if chat:
                return LoglikelihoodRequest(
                    context=self._prompt(sample), continuations=sample.choices, messages=self._turns(sample)
                )
            return LoglikelihoodRequest(
                context=self._completion_text(sample),
                continuations=tuple(out.choice_prefix + c for c in sample.choices),
            )
        params = GenerationParams(max_tokens=out.max_tokens, temperature=out.temperature, stop=out.stop)
        if not chat:
            return GenerateRequest(prompt=self._completion_text(sample), params=params)
        return GenerateRequest(messages=self._turns(sample), params=params)

    def _turns(self, sample: Sample) -> tuple[Message, ...]:
        """Chat mode: the system prompt, each shot as a user/assistant exchange, then the question."""
        turns = [Message("system", self.spec.system)] if self.spec.system else []
        for shot in self._shots:
            turns += [Message("user", shot.input), Message("assistant", _shot_answer(shot, leading=False))]
        turns.append(Message("user", self._prompt(sample)))
        return tuple(turns)

    def score(self, sample: Sample, response: Response) -> Score:
        kind = self.spec.output.type
        if kind == "multiple_choice":
            score = score_choices(sample, response)
            first = self.spec.metrics[0]
            return Score(values={first: score.values[first], **score.values}, extracted=score.extracted)
        text = getattr(response, "text", "")
        if self.executes_code:
            return self._score_code(sample, text)
        if kind == "multiple_choice_generate":
            assert sample.choices is not None
            picked = extract_choice_letter(text, len(sample.choices))
            return Score(
                values={"acc": float(picked == sample.answer_index), "invalid": float(picked is None)},
                extracted=None if picked is None else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[picked],
            )
        return self._score_generation(sample, text)

    def _score_code(self, sample: Sample, text: str) -> Score:
        """The reply's code (a fenced block, else the whole reply), then the row's setup and tests, in
        the sandbox; passed = the program exits 0 within the limits."""
        meta = dict(sample.metadata)
        program = "\n\n".join(p for p in (extract_code(text), meta.get("setup", ""), meta["tests"]) if p)
        limits = self.spec.scoring
        return run_tests(
            program,
            Limits(
                cpu_seconds=limits.cpu_seconds, wall_seconds=limits.wall_seconds, memory_mb=limits.memory_mb
            ),
            unsafe_no_sandbox=self.unsafe_no_sandbox,
        )

    def _score_generation(self, sample: Sample, text: str) -> Score:
        meta = dict(sample.metadata)
        targets = [str(t) for t in meta.get("targets", [sample.target or ""])]
        extracted = extract_answer(self.spec, text)
        values: dict[str, float] = {}
        for metric in self.spec.metrics:
            if extracted is None:
                values[metric] = 0.0
            elif metric == "exact_match" and self.spec.output.extract == "number":
                values[metric] = float(any(normalize_number(t) == extracted for t in targets))
            elif metric == "exact_match":
                values[metric] = max(exact_match(extracted, t) for t in targets)
            else:
                values[metric] = max(token_f1(extracted, t) for t in targets)
        return Score(values=values, extracted=extracted)


def _shot_answer(shot: Sample, *, leading: bool) -> str:
    answer = str(dict(shot.metadata).get("shot_answer", ""))
    if not leading:
        return answer.strip()
    return answer if answer[:1].isspace() else f" {answer}"


def extract_answer(spec: TaskSpec, text: str) -> str | None:
    """The answer part of a generation, by the spec's extractor."""
    how = spec.output.extract
    if how == "number":
        return extract_final_number(text)
    if how == "regex":
        assert spec.output.regex is not None
        match = re.search(spec.output.regex, text)
        if not match:
            return None
        return (match.group(1) if match.groups() else match.group(0)).strip()
    if how == "first_line":
        return next((line.strip() for line in text.splitlines() if line.strip()), "")
    return text.strip()


def is_spec_path(name: str) -> bool:
    return name.lower().endswith(SPEC_SUFFIXES)


def load_task_spec(path: str | Path, **overrides: Any) -> DeclarativeTask:
    """A DeclarativeTask from a YAML/TOML file; `num_fewshot` / `seed` override the file's fewshot."""
    spec = read_spec_file(Path(path))
    unsafe = parse_flag(overrides.pop("unsafe_no_sandbox", False), f"{path}: unsafe_no_sandbox")
    few = spec.fewshot
    if overrides.get("num_fewshot") is not None:
        few = dataclasses.replace(few, num=int(overrides.pop("num_fewshot")))
    if overrides.get("seed") is not None:
        few = dataclasses.replace(few, seed=int(overrides.pop("seed")))
    unknown = [k for k, v in overrides.items() if v is not None]
    if unknown:
        raise ConfigError(
            f"{path}: unknown option {unknown[0]!r} for a task file (num_fewshot and seed can be overridden)"
        )
    return DeclarativeTask(spec=dataclasses.replace(spec, fewshot=few), unsafe_no_sandbox=unsafe)


@tasks.register("spec")
def spec_task(
    path: str, num_fewshot: int | None = None, seed: int | None = None, unsafe_no_sandbox: bool = False
) -> DeclarativeTask:
    """A task defined in a YAML/TOML file (see docs/tasks.md)."""
    return load_task_spec(path, num_fewshot=num_fewshot, seed=seed, unsafe_no_sandbox=unsafe_no_sandbox)
