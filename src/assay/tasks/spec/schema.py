"""A task defined in YAML (or TOML) without code: parsed into a frozen TaskSpec, checked field by field.

Every error names the file and the field (`capitals.yaml: output.type: ...`), so a user fixes the
spec without reading our code. The example in docs/tasks.md shows every field.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assay.core.errors import ConfigError
from assay.io import FORMATS, read_text

OUTPUT_TYPES = ("generate", "multiple_choice", "multiple_choice_generate")
EXTRACTORS = ("text", "first_line", "number", "regex")
GENERATE_METRICS = ("exact_match", "f1")
CHOICE_METRICS = ("acc", "acc_norm", "brier")
ANSWER_FORMATS = ("auto", "index", "letter", "text")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")

_TOP = {
    "name",
    "version",
    "description",
    "citation",
    "dataset",
    "fields",
    "prompt",
    "fewshot",
    "output",
    "metrics",
    "system",
    "scoring",
}
_DATASET = {"path", "format", "field", "hf", "bigbench"}
_HF = {"name", "config", "split"}
_FIELDS = {"id", "target", "choices", "answer", "group", "cluster", "answer_format", "test", "setup"}
_SCORING = {"type", "cpu_seconds", "wall_seconds", "memory_mb"}
SCORING_TYPES = ("match", "code_execution")
CODE_METRICS = ("passed",)
_FEWSHOT = {"num", "seed", "path", "holdout", "separator", "answer"}
_OUTPUT = {"type", "max_tokens", "stop", "extract", "regex", "choice_prefix", "temperature"}


@dataclass(frozen=True)
class DatasetSpec:
    path: Path | None = None
    format: str | None = None
    field: str | None = None
    hf_name: str | None = None
    hf_config: str | None = None
    hf_split: str = "test"
    bigbench: Path | None = None


@dataclass(frozen=True)
class FieldMap:
    id: str | None = None
    target: str | None = None
    choices: str | tuple[str, ...] | None = None
    answer: str | None = None
    group: str | None = None
    # The row field items share (a passage, a context, a subject): standard errors are clustered by it.
    cluster: str | None = None
    answer_format: str = "auto"
    test: str | None = None  # code execution: the row field with the test code (text or list of lines)
    setup: str | None = None  # code execution: a row field with code to run before the tests


@dataclass(frozen=True)
class FewShotSpec:
    num: int = 0
    seed: int = 1234
    path: Path | None = None
    holdout: int | None = None
    separator: str = "\n\n"
    answer: str | None = None  # Jinja2 template for a shot's answer; a default per output type


@dataclass(frozen=True)
class OutputSpec:
    type: str = "generate"
    max_tokens: int = 128
    stop: tuple[str, ...] = ()
    extract: str = "text"
    regex: str | None = None
    choice_prefix: str = " "
    temperature: float = 0.0


@dataclass(frozen=True)
class ScoringSpec:
    """How a generation is judged: matched against the target, or run with the row's tests in the
    sandbox (`code_execution`, with the sandbox limits)."""

    type: str = "match"
    cpu_seconds: int = 10
    wall_seconds: float = 20.0
    memory_mb: int = 1024


@dataclass(frozen=True)
class TaskSpec:
    source: Path  # the spec file, for messages and relative paths
    name: str
    prompt: str
    dataset: DatasetSpec
    fields: FieldMap = field(default_factory=FieldMap)
    fewshot: FewShotSpec = field(default_factory=FewShotSpec)
    output: OutputSpec = field(default_factory=OutputSpec)
    metrics: tuple[str, ...] = ()
    version: str = "1"
    description: str = ""
    citation: str = ""
    system: str | None = None
    scoring: ScoringSpec = field(default_factory=ScoringSpec)


class _Checker:
    """Reads typed values out of one mapping, naming `file: section.key` in every error."""

    def __init__(self, source: Path, section: str, raw: Any, allowed: set[str]) -> None:
        self.source, self.section = source, section
        if not isinstance(raw, dict):
            raise self.error("", f"expected a mapping, got {type(raw).__name__}")
        for key in raw:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(str(key), f"unknown field{hint}; allowed: {', '.join(sorted(allowed))}")
        self.raw: dict[str, Any] = raw

    def error(self, key: str, message: str) -> ConfigError:
        where = ".".join(p for p in (self.section, key) if p)
        return ConfigError(f"{self.source}: {where + ': ' if where else ''}{message}")

    def get(
        self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False
    ) -> Any:
        if key not in self.raw or self.raw[key] is None:
            if required:
                raise self.error(key, "is required")
            return default
        value = self.raw[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.error(key, f"expected {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.error(key, f"expected {_kind_name(kind)}, got {type(value).__name__} {value!r}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in options:
            raise self.error(key, f"{value!r} is not one of {', '.join(options)}")
        return str(value)

    def count(self, key: str, default: int | None, *, minimum: int = 0) -> int | None:
        value = self.get(key, int, default)
        if value is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value}")
        return value

    def path(self, key: str) -> Path | None:
        value = self.get(key, str)
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.source.parent / path


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        "str": "a string",
        "int": "an integer",
        "float": "a number",
        "list": "a list",
        "dict": "a mapping",
    }
    return " or ".join(names.get(k.__name__, k.__name__) for k in kinds)


def read_spec_file(path: Path) -> TaskSpec:
    text = read_text(path, what="task spec", error=ConfigError)
    try:
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: {getattr(exc, 'problem', None) or 'invalid YAML'}") from None
    return parse_spec(raw, path)


def parse_spec(raw: Any, source: Path) -> TaskSpec:
    top = _Checker(source, "", raw, _TOP)
    name = top.get("name", str, required=True)
    if not _NAME.match(name):
        raise top.error("name", f"{name!r}: use letters, digits and _ . : - (at most 100)")
    output = _output(source, top.raw.get("output", {}))
    scoring = _scoring(source, top.raw.get("scoring"), output.type)
    metrics = tuple(top.get("metrics", list, []))
    allowed = (
        CHOICE_METRICS
        if output.type == "multiple_choice"
        else (("acc",) if output.type == "multiple_choice_generate" else GENERATE_METRICS)
    )
    if scoring.type == "code_execution":
        allowed = CODE_METRICS
    for metric in metrics:
        if metric not in allowed:
            raise top.error(
                "metrics",
                f"{metric!r} does not apply to output.type {output.type}; choose from {', '.join(allowed)}",
            )
    return TaskSpec(
        source=source,
        name=name,
        version=str(top.get("version", (str, int, float), "1")),
        description=top.get("description", str, ""),
        citation=top.get("citation", str, ""),
        system=top.get("system", str),
        prompt=top.get("prompt", str, required=True),
        dataset=_dataset(source, top.raw.get("dataset")),
        fields=_fields(source, top.raw.get("fields", {}), output.type, scoring.type),
        fewshot=_fewshot(source, top.raw.get("fewshot", {})),
        output=output,
        metrics=metrics or ((allowed[0],) if allowed != GENERATE_METRICS else ("exact_match", "f1")),
        scoring=scoring,
    )


def _scoring(source: Path, raw: Any, output_type: str) -> ScoringSpec:
    if raw is None:
        return ScoringSpec()
    check = _Checker(source, "scoring", {"type": raw} if isinstance(raw, str) else raw, _SCORING)
    spec = ScoringSpec(
        type=check.choice("type", SCORING_TYPES, "match"),
        cpu_seconds=check.count("cpu_seconds", 10, minimum=1) or 10,
        wall_seconds=float(check.get("wall_seconds", (int, float), 20.0)),
        memory_mb=check.count("memory_mb", 1024, minimum=64) or 1024,
    )
    if spec.type == "code_execution" and output_type != "generate":
        raise check.error(
            "type", f"code_execution scores generated code; output.type must be generate, not {output_type}"
        )
    if spec.wall_seconds <= 0:
        raise check.error("wall_seconds", "must be more than 0")
    return spec


def _dataset(source: Path, raw: Any) -> DatasetSpec:
    if raw is None:
        raise ConfigError(f"{source}: dataset: is required (path, hf or bigbench)")
    check = _Checker(source, "dataset", raw, _DATASET)
    given = [k for k in ("path", "hf", "bigbench") if check.raw.get(k) is not None]
    if len(given) != 1:
        raise check.error("", "give exactly one of path, hf or bigbench")
    hf = check.raw.get("hf")
    if hf is not None:
        hf_check = _Checker(source, "dataset.hf", {"name": hf} if isinstance(hf, str) else hf, _HF)
        return DatasetSpec(
            hf_name=hf_check.get("name", str, required=True),
            hf_config=hf_check.get("config", str),
            hf_split=hf_check.get("split", str, "test"),
        )
    fmt = check.get("format", str)
    if fmt is not None and fmt not in FORMATS:
        raise check.error("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    return DatasetSpec(
        path=check.path("path"), format=fmt, field=check.get("field", str), bigbench=check.path("bigbench")
    )


def _fields(source: Path, raw: Any, output_type: str, scoring: str = "match") -> FieldMap:
    check = _Checker(source, "fields", raw, _FIELDS)
    choices = check.get("choices", (str, list))
    if isinstance(choices, list):
        if not choices or not all(isinstance(c, str) for c in choices):
            raise check.error("choices", "a list of field names must hold strings")
        choices = tuple(choices)
    mapping = FieldMap(
        id=check.get("id", str),
        target=check.get("target", str),
        choices=choices,
        answer=check.get("answer", str),
        group=check.get("group", str),
        cluster=check.get("cluster", str),
        answer_format=check.choice("answer_format", ANSWER_FORMATS, "auto"),
        test=check.get("test", str),
        setup=check.get("setup", str),
    )
    if scoring == "code_execution":
        if mapping.test is None:
            raise check.error("test", "is required for scoring code_execution (the row field with the tests)")
        return mapping
    if output_type == "generate" and mapping.target is None:
        raise check.error("target", "is required for output.type generate (the row field with the answer)")
    if output_type != "generate" and (mapping.choices is None or mapping.answer is None):
        raise check.error(
            "choices" if mapping.choices is None else "answer", f"is required for output.type {output_type}"
        )
    return mapping


def _fewshot(source: Path, raw: Any) -> FewShotSpec:
    check = _Checker(source, "fewshot", raw, _FEWSHOT)
    spec = FewShotSpec(
        num=check.count("num", 0) or 0,
        seed=check.get("seed", int, 1234),
        path=check.path("path"),
        holdout=check.count("holdout", None, minimum=1),
        separator=check.get("separator", str, "\n\n"),
        answer=check.get("answer", str),
    )
    if spec.num and spec.path is None and spec.holdout is None:
        raise check.error(
            "num",
            "few-shot examples need a pool: fewshot.path (a file) or "
            "fewshot.holdout (that many rows held out from the end of the dataset)",
        )
    return spec


def _output(source: Path, raw: Any) -> OutputSpec:
    check = _Checker(source, "output", raw, _OUTPUT)
    stop = check.get("stop", (str, list), [])
    stop = [stop] if isinstance(stop, str) else stop
    if not all(isinstance(s, str) for s in stop):
        raise check.error("stop", "must be a string or a list of strings")
    spec = OutputSpec(
        type=check.choice("type", OUTPUT_TYPES, "generate"),
        max_tokens=check.count("max_tokens", 128, minimum=1) or 128,
        stop=tuple(stop),
        extract=check.choice("extract", EXTRACTORS, "text"),
        regex=check.get("regex", str),
        choice_prefix=check.get("choice_prefix", str, " "),
        temperature=float(check.get("temperature", (int, float), 0.0)),
    )
    if spec.extract == "regex":
        if spec.regex is None:
            raise check.error("regex", "is required when extract is regex")
        try:
            re.compile(spec.regex)
        except re.error as exc:
            raise check.error("regex", f"not a valid regular expression ({exc})") from None
    return spec
