"""Prompt overrides from a YAML file: replace any built-in template by name, versioned.

```yaml
pairwise:
  version: my-pair-2
  system: You compare two answers ... end with [[A]], [[B]] or [[C]].
  user: "Question: {question}\\n\\nA: {answer_a}\\n\\nB: {answer_b}"
```
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.core.errors import ConfigError
from assay.io import read_yaml
from assay.judge.prompts import BUILTIN_TEMPLATES, REQUIRED_FIELDS, REQUIRED_FIELDS_ALL, PromptTemplate

_KEYS = {"version", "system", "user"}


def templates_from_mapping(data: Any, *, origin: str = "prompt overrides") -> dict[str, PromptTemplate]:
    """Built-in templates with the given ones replaced; every override is checked before use."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{origin}: expected a mapping of template name -> {{version, system, user}}")
    templates = dict(BUILTIN_TEMPLATES)
    for name, entry in data.items():
        templates[str(name)] = _template(str(name), entry, origin)
    return templates


def _template(name: str, entry: Any, origin: str) -> PromptTemplate:
    if name not in REQUIRED_FIELDS:
        known = ", ".join(REQUIRED_FIELDS)
        raise ConfigError(f"{origin}: unknown template {name!r} (known: {known})")
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{origin}: template {name!r} must be a mapping with version, system and user")
    extra = set(entry) - _KEYS
    missing = {"version", "user"} - set(entry)
    if extra or missing:
        problem = f"unknown keys {sorted(extra)}" if extra else f"missing {sorted(missing)}"
        raise ConfigError(f"{origin}: template {name!r}: {problem}")
    values = {k: entry.get(k, "") for k in _KEYS}
    if not all(isinstance(v, str | int | float) for v in values.values()):
        raise ConfigError(f"{origin}: template {name!r}: version, system and user must be text")
    template = PromptTemplate(name, str(values["version"]), str(values["system"]), str(values["user"]))
    used = template.fields & REQUIRED_FIELDS_ALL
    lacking = REQUIRED_FIELDS[name] - used
    foreign = used - REQUIRED_FIELDS[name]
    if lacking or foreign:
        problem = (
            f"must use {{{'}, {'.join(sorted(lacking))}}}"
            if lacking
            else f"cannot use {{{'}, {'.join(sorted(foreign))}}} (not filled for this template)"
        )
        raise ConfigError(f"{origin}: template {name!r} {problem}")
    if template.version == BUILTIN_TEMPLATES[name].version and template != BUILTIN_TEMPLATES[name]:
        raise ConfigError(
            f"{origin}: template {name!r} changes the text but keeps the built-in version "
            f"{template.version!r}; give it a version of its own"
        )
    return template


def load_prompt_file(path: Path) -> dict[str, PromptTemplate]:
    data = read_yaml(path, what="prompt file", error=ConfigError)
    return templates_from_mapping(data or {}, origin=str(path))
