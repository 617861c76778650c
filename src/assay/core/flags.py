"""Yes/no options that arrive as text (`--task-arg humaneval.unsafe_no_sandbox=false`)."""

from __future__ import annotations

from assay.core.errors import ConfigError

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def parse_flag(value: object, what: str) -> bool:
    """True/False from a bool or its usual spellings; anything else is a ConfigError naming `what`
    (bool("false") is True, which for a safety switch would be exactly the wrong answer)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ConfigError(f"{what} must be true or false, not {value!r}")
