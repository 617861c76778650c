"""From dataset rows to Samples for a declarative task: field mapping, answers, rendered prompts.

All checks happen while loading, before anything is planned or stored, and name the row
(`data.jsonl:7`) and the spec field (`fields.answer`) at fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from assay.core.errors import ConfigError, DatasetError
from assay.core.types import Sample
from assay.io import Row, read_hf, read_rows
from assay.tasks.spec.schema import DatasetSpec, TaskSpec

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Names a template may use besides the row's own fields.
PROVIDED = frozenset({"choices", "letters", "target", "answer_index", "answer_letter", "answer_text"})

_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
)  # plain-text prompts, never HTML


def compile_template(spec: TaskSpec, field: str, text: str) -> jinja2.Template:
    try:
        return _ENV.from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"{spec.source}: {field}: template error on its line {exc.lineno}: {exc.message}"
        ) from None


def check_template_fields(spec: TaskSpec, field: str, text: str, where: str, row: dict[str, Any]) -> None:
    """Fail before any model call when a template names a field the data does not have."""
    names = meta.find_undeclared_variables(_ENV.parse(text)) - PROVIDED
    missing = sorted(n for n in names if n not in row)
    if missing:
        raise ConfigError(
            f"{spec.source}: {field}: uses {{{{ {missing[0]} }}}} but the first row "
            f"({where}) has no such field (fields: {', '.join(sorted(map(str, row)))})"
        )


def dataset_rows(dataset: DatasetSpec) -> Iterator[Row]:
    """The rows a dataset spec names: a hub dataset, a BIG-bench task or a local file."""
    if dataset.hf_name is not None:
        return read_hf(dataset.hf_name, dataset.hf_config, dataset.hf_split)
    if dataset.bigbench is not None:
        return read_rows(dataset.bigbench, format="bigbench", what="dataset")
    assert dataset.path is not None
    return read_rows(dataset.path, format=dataset.format, field=dataset.field, what="dataset")


def _value(row: dict[str, Any], name: str, where: str, spec_field: str) -> Any:
    if name not in row or row[name] is None or row[name] == "":
        raise DatasetError(
            f"{where}: the row has no {name!r} ({spec_field}); fields: {', '.join(sorted(map(str, row)))}"
        )
    return row[name]


def row_choices(spec: TaskSpec, row: dict[str, Any], where: str) -> list[str]:
    mapping = spec.fields.choices
    if isinstance(mapping, tuple):
        return [str(_value(row, name, where, "fields.choices")) for name in mapping]
    assert mapping is not None
    value = _value(row, mapping, where, "fields.choices")
    if isinstance(value, dict) and isinstance(value.get("text"), list):
        value = value["text"]  # the {"text": [...], "label": [...]} layout of ARC and others
    options_ok = isinstance(value, list) and all(isinstance(c, str | int | float) for c in value)
    if not options_ok or len(value) < 2:
        raise DatasetError(f"{where}: fields.choices {mapping!r} must be a list of at least two options")
    return [str(c) for c in value]


def resolve_answer(value: Any, choices: list[str], answer_format: str, where: str) -> int:
    """An index, a letter or the text of the right choice -> its 0-based index, range-checked."""
    index: int | None = None
    if answer_format in ("auto", "index") and isinstance(value, int) and not isinstance(value, bool):
        index = value
    elif answer_format in ("auto", "index") and isinstance(value, str) and value.strip().isdigit():
        index = int(value.strip())
    elif (
        answer_format in ("auto", "letter")
        and isinstance(value, str)
        and len(value.strip()) == 1
        and value.strip().upper() in LETTERS
    ):
        index = LETTERS.index(value.strip().upper())
    elif answer_format in ("auto", "text") and str(value) in choices:
        index = choices.index(str(value))
    if index is None:
        raise DatasetError(
            f"{where}: fields.answer {value!r} is not an index, a letter or the text of "
            f"a choice (answer_format: {answer_format})"
        )
    if not 0 <= index < len(choices):
        raise DatasetError(f"{where}: fields.answer {value!r} is out of range for {len(choices)} choices")
    return index


def _targets(value: Any, where: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        raise DatasetError(f"{where}: fields.target must be a string, a number or a list of them")
    return [str(v) for v in values]


def default_shot_answer(spec: TaskSpec) -> str:
    if spec.output.type == "generate" and spec.fields.target is None:
        return ""  # a code task without reference solutions: few-shot needs fewshot.answer
    return {
        "generate": "{{ target }}",
        "multiple_choice": "{{ answer_text }}",
        "multiple_choice_generate": "{{ answer_letter }}",
    }[spec.output.type]


def template_variables(row: dict[str, Any], sample: Sample) -> dict[str, Any]:
    """What a template sees: the row's fields, then the sample's own (possibly rotated) options."""
    variables: dict[str, Any] = {**row, "letters": list(LETTERS)}
    if sample.target is not None:
        variables["target"] = sample.target
    if sample.choices is not None and sample.answer_index is not None:
        answer = sample.answer_index
        variables.update(
            choices=list(sample.choices),
            answer_index=answer,
            answer_letter=LETTERS[answer],
            answer_text=sample.choices[answer],
        )
    return variables


def render(template: jinja2.Template, row: dict[str, Any], sample: Sample, where: str) -> str:
    try:
        return template.render(template_variables(row, sample))
    except jinja2.UndefinedError as exc:
        raise DatasetError(f"{where}: template: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise DatasetError(f"{where}: template failed: {exc}") from None


def _code_text(value: Any) -> str:
    """Tests as one program: a list of lines (MBPP's test_list) or one text."""
    return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)


def row_sample(
    spec: TaskSpec,
    index: int,
    where: str,
    row: dict[str, Any],
    prompt: jinja2.Template,
    shot_answer: jinja2.Template,
) -> Sample:
    """The row as a Sample; its prompt and shot answer are rendered now, so a bad row fails at load.

    The row itself travels in metadata so the prompt can be rendered again with rotated options."""
    fields = spec.fields
    choices: list[str] | None = None
    answer: int | None = None
    targets: list[str] = []
    if spec.output.type == "generate":
        if fields.target is not None:  # code-execution tasks score by their tests instead
            targets = _targets(_value(row, fields.target, where, "fields.target"), where)
    else:
        choices = row_choices(spec, row, where)
        answer = resolve_answer(
            _value(row, fields.answer or "", where, "fields.answer"), choices, fields.answer_format, where
        )
    metadata: list[tuple[str, Any]] = [("where", where), ("row", row)]
    if fields.group is not None:
        metadata.append(("group", str(_value(row, fields.group, where, "fields.group"))))
    if fields.cluster is not None:
        metadata.append(("cluster", str(_value(row, fields.cluster, where, "fields.cluster"))))
    if fields.test is not None:  # checked at load, so a row without tests fails before any model runs
        metadata.append(("tests", _code_text(_value(row, fields.test, where, "fields.test"))))
        if fields.setup is not None and row.get(fields.setup):  # MBPP leaves most setups empty
            metadata.append(("setup", _code_text(row[fields.setup])))
    if len(targets) > 1:
        metadata.append(("targets", targets))
    sample_id = str(_value(row, fields.id, where, "fields.id")) if fields.id else str(index)
    sample = Sample(
        id=sample_id,
        input="",
        target=targets[0] if targets else None,
        choices=tuple(choices) if choices else None,
        answer_index=answer,
    )
    metadata.append(("shot_answer", render(shot_answer, row, sample, where)))
    return Sample(
        id=sample.id,
        input=render(prompt, row, sample, where),
        target=sample.target,
        choices=sample.choices,
        answer_index=answer,
        metadata=tuple(metadata),
    )
