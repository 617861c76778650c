"""Harm policies as data: the built-in ShieldGemma and Llama Guard policies (data/policies.yaml) and
user policies from a YAML or JSON file in the same format."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from assay.core.errors import ConfigError, UnknownNameError
from assay.core.registry import Registry
from assay.io import check_unique_ids, read_json, read_packaged_text, read_yaml

TextKind = Literal["prompt", "response"]
FORMAT = "assay-safety-policies/1"


@dataclass(frozen=True)
class HarmCategory:
    code: str
    name: str
    description: str


@dataclass(frozen=True)
class Policy:
    """One rule a text may violate. `categories` is set for a taxonomy-wide or one-category policy."""

    name: str
    title: str
    prompt_rule: str
    response_rule: str
    source: str = "user"
    categories: tuple[HarmCategory, ...] = ()

    def rule(self, kind: TextKind) -> str:
        return self.prompt_rule if kind == "prompt" else self.response_rule


safety_policies: Registry[Policy] = Registry("safety policy")


def _text(entry: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    return " ".join(value.split())


def _policy(entry: Any, where: str, source: str) -> Policy:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: a policy must be a mapping with name and a rule")
    unknown = set(entry) - {"name", "title", "source", "description", "prompt_rule", "response_rule"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = _text(entry, "name", where)
    where = f"{where} ({name})"
    description = entry.get("description")
    return Policy(
        name=name,
        title=_text(entry, "title", where, default=name),
        prompt_rule=_text(entry, "prompt_rule", where, default=description),
        response_rule=_text(entry, "response_rule", where, default=description),
        source=str(entry.get("source", source)),
    )


def _category(entry: Any, where: str) -> HarmCategory:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: a category must be a mapping with code and name")
    name = _text(entry, "name", where)
    return HarmCategory(
        code=_text(entry, "code", where),
        name=name,
        description=_text(entry, "description", where, default=name),
    )


def taxonomy_rule(categories: Iterable[HarmCategory], kind: TextKind) -> str:
    subject = (
        "The user prompt must not ask for or contain"
        if kind == "prompt"
        else ("The assistant must not produce")
    )
    cats = list(categories)
    which = "this category" if len(cats) == 1 else "any of these categories"
    lines = [f"{subject} content in {which}:"]
    lines += [f"{c.code}: {c.name}. {c.description}" for c in cats]
    return "\n".join(lines)


def _taxonomy(entry: Any, where: str, source: str) -> list[Policy]:
    """A category list -> the whole-taxonomy policy `NAME` plus one policy `NAME/CODE` per category."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: a taxonomy must be a mapping with name and categories")
    name = _text(entry, "name", where)
    where = f"{where} ({name})"
    raw = entry.get("categories")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: 'categories' must be a non-empty list")
    cats = tuple(_category(c, f"{where} categories[{i}]") for i, c in enumerate(raw))
    origin = str(entry.get("source", source))
    title = _text(entry, "title", where, default=name)
    out = [Policy(name, title, taxonomy_rule(cats, "prompt"), taxonomy_rule(cats, "response"), origin, cats)]
    for c in cats:
        one = (c,)
        out.append(
            Policy(f"{name}/{c.code}", f"{c.name} ({name} {c.code})", taxonomy_rule(one, "prompt"),
                   taxonomy_rule(one, "response"), origin, one)
        )  # fmt: skip
    return out


def parse_policies(data: Any, where: str, *, source: str = "user") -> list[Policy]:
    """A parsed policy document -> policies, checked, with errors that name the entry."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with 'policies' and/or 'taxonomies'")
    unknown = set(data) - {"format", "policies", "taxonomies"}
    if unknown:
        raise ConfigError(f"{where}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    out: list[Policy] = []
    places: list[str] = []
    for key, build in (("policies", _policy), ("taxonomies", _taxonomy)):
        entries = data.get(key, [])
        if not isinstance(entries, list):
            raise ConfigError(f"{where}: {key!r} must be a list")
        for i, entry in enumerate(entries):
            made = build(entry, f"{where}: {key}[{i}]", source)
            for policy in made if isinstance(made, list) else [made]:
                out.append(policy)
                places.append(f"{where}: {key}[{i}]")
    if not out:
        raise ConfigError(f"{where}: no policies defined")
    check_unique_ids(zip((p.name for p in out), places, strict=True), "policy name", error=ConfigError)
    return out


def load_policy_file(path: str | os.PathLike[str]) -> list[Policy]:
    """User policies from a YAML (or JSON) file in the built-in format."""
    target = Path(path)
    if target.suffix.lower() == ".json":
        data = read_json(target, what="policy file", error=ConfigError)
    else:
        data = read_yaml(target, what="policy file", error=ConfigError)
    return parse_policies(data, str(target))


def builtin_policies() -> list[Policy]:
    text = read_packaged_text("assay.safety", "data/policies.yaml")
    return parse_policies(yaml.safe_load(text), "built-in policies.yaml", source="built-in")


def _register_builtins() -> None:
    for policy in builtin_policies():
        safety_policies.add(policy.name, policy)


def get_policy(name: str, extra: Iterable[Policy] = ()) -> Policy:
    """A policy by name: from `extra` (a user file) first, then the built-ins."""
    extra = list(extra)
    for policy in extra:
        if policy.name == name:
            return policy
    if not name.strip():
        raise UnknownNameError("a policy name is needed (see `assay safety policies`)")
    try:
        return safety_policies.get(name)
    except UnknownNameError as exc:
        if not extra:
            raise
        mine = ", ".join(p.name for p in extra)
        raise UnknownNameError(f"{exc}; in the policy file: {mine}") from None


_register_builtins()
