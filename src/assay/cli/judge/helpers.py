"""What `assay judge` commands share: the judge's backend options from `--judge-arg KEY=VALUE`."""

from __future__ import annotations

from typing import Any

from assay.api import parse_key_values


def judge_args(pairs: list[str] | None) -> dict[str, Any]:
    return parse_key_values(pairs or [], "--judge-arg")
