"""Arena battle files: FastChat cleaned-battle JSON/JSON lines and the arena-human-preference table
layout (Parquet or CSV). assay.io reads the rows; this module maps them to battles.

Both layouts become one DataFrame with the columns of BATTLE_COLUMNS (missing facts as None/NaN) plus,
when the file carries them, per-side style counts STYLE_COLUMNS. A bad row is named by its place in the
file (`battles.jsonl:12`, `battles.parquet:row 3`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from assay.core.errors import DatasetError
from assay.io import read_rows
from assay.rank.battles import WINNER_CODES
from assay.rank.style import STYLE_FEATURES

BATTLE_COLUMNS: tuple[str, ...] = (
    "model_a",
    "model_b",
    "winner",
    "judge",
    "language",
    "turn",
    "anony",
    "tstamp",
    "question_id",
)
STYLE_COLUMNS: tuple[str, ...] = tuple(f"{f}_{side}" for side in "ab" for f in STYLE_FEATURES)
ONE_HOT = ("winner_model_a", "winner_model_b", "winner_tie")
FileFormat = Literal["auto", "fastchat", "preference"]

# conv_metadata keys FastChat writes per side; dict values (h1..h6, ordered/unordered, **/__) are summed.
_METADATA_KEYS = {
    "length": "sum_assistant_{side}_tokens",
    "headers": "header_count_{side}",
    "lists": "list_count_{side}",
    "bold": "bold_count_{side}",
}
_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")


class InvalidBattleRow(DatasetError):
    """A row that `skip_invalid` would leave out: an unknown winner or a self-battle."""


def read_battles(path: str | Path, fmt: FileFormat = "auto", *, skip_invalid: bool = False) -> pd.DataFrame:
    """Battles from a .json/.jsonl (FastChat) or .parquet/.csv (preference layout) file.

    A row with an unknown winner or a self-battle is an error naming the row, or with `skip_invalid`
    is left out (`df.attrs["skipped"]` counts them).
    """
    path = Path(path)
    kind = fmt if fmt != "auto" else _guess_format(path)
    if kind not in ("fastchat", "preference"):
        raise DatasetError(f"unknown battle file format {fmt!r} (auto, fastchat or preference)")
    rows = list(read_rows(path, format=_row_format(path, kind), what="battle file"))
    table = kind == "preference" and path.suffix.lower() != ".parquet"
    # CSV cells are text; an empty one is a missing fact, as pandas would read it.
    records = [{k: None if table and v == "" else v for k, v in r.data.items()} for r in rows]
    raw = pd.DataFrame.from_records(records)
    return normalise_battles(
        raw, where=str(path), skip_invalid=skip_invalid, locations=[r.where for r in rows]
    )


def _guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl", ".ndjson"):
        return "fastchat"
    if suffix in (".parquet", ".csv"):
        return "preference"
    raise DatasetError(
        f"{path}: cannot tell the format from the extension {suffix!r}; "
        "use .json/.jsonl (FastChat) or .parquet/.csv, or give --format"
    )


def _row_format(path: Path, kind: str) -> str:
    suffix = path.suffix.lower()
    if kind == "fastchat":
        return "json" if suffix == ".json" else "jsonl"
    return "csv" if suffix == ".csv" else "parquet"


def _place(where: str, locations: Sequence[str] | None, row: int) -> str:
    return locations[row] if locations else f"{where}: row {row}"


def normalise_battles(
    raw: pd.DataFrame,
    *,
    where: str = "battles",
    skip_invalid: bool = False,
    locations: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Any supported layout -> BATTLE_COLUMNS (+ STYLE_COLUMNS when available), validated. `locations`
    name each row of `raw` in its file; without them a row is `<where>: row N`."""
    missing = [c for c in ("model_a", "model_b") if c not in raw.columns]
    if "winner" not in raw.columns and not all(c in raw.columns for c in ONE_HOT):
        missing.append("winner (or winner_model_a, winner_model_b, winner_tie)")
    if missing:
        raise DatasetError(f"{where}: missing column(s) {', '.join(missing)}")
    out = pd.DataFrame(
        {
            "model_a": raw["model_a"].astype(str).to_numpy(dtype=object),
            "model_b": raw["model_b"].astype(str).to_numpy(dtype=object),
        }
    )
    out["winner"] = _winner_labels(raw, where, skip_invalid, locations)
    out["judge"] = _text_column(raw, "judge")
    out["language"] = _text_column(raw, "language")
    out["turn"] = pd.to_numeric(raw["turn"], errors="coerce") if "turn" in raw else np.nan
    out["anony"] = raw["anony"].map(_flag).astype(object) if "anony" in raw else None
    out["tstamp"] = pd.to_numeric(raw["tstamp"], errors="coerce") if "tstamp" in raw else np.nan
    id_column = "question_id" if "question_id" in raw else "id" if "id" in raw else None
    out["question_id"] = _text_column(raw, id_column) if id_column else None
    style = _style_counts(raw)
    if style is not None:
        for name in STYLE_COLUMNS:
            out[name] = style[name]
    bad = _bad_rows(out)
    if bad.any() and not skip_invalid:
        row = int(np.flatnonzero(bad)[0])
        raise InvalidBattleRow(f"{_place(where, locations, row)}: {_describe(out, row)}")
    out = out[~bad].reset_index(drop=True)
    out.attrs["skipped"] = int(bad.sum())
    return out


def _winner_labels(
    raw: pd.DataFrame, where: str, skip_invalid: bool, locations: Sequence[str] | None
) -> np.ndarray:
    if "winner" in raw.columns:
        return raw["winner"].to_numpy(dtype=object)
    flags = raw[list(ONE_HOT)].apply(pd.to_numeric, errors="coerce").fillna(-1).to_numpy()
    valid = np.isin(flags, (0, 1)).all(axis=1) & (flags.sum(axis=1) == 1)
    if not valid.all() and skip_invalid:
        labels = np.array(["model_a", "model_b", "tie"], dtype=object)[flags.argmax(axis=1)]
        labels[~valid] = "?"  # dropped with the other invalid rows
        return labels
    if not valid.all():
        row = int(np.flatnonzero(~valid)[0])
        raise InvalidBattleRow(
            f"{_place(where, locations, row)}: exactly one of {', '.join(ONE_HOT)} must be 1, "
            f"got {flags[row].tolist()}"
        )
    return np.array(["model_a", "model_b", "tie"], dtype=object)[flags.argmax(axis=1)]


def _bad_rows(out: pd.DataFrame) -> np.ndarray:
    unknown = ~out["winner"].isin(list(WINNER_CODES))
    return np.asarray((unknown | (out["model_a"] == out["model_b"])).to_numpy())


def _describe(out: pd.DataFrame, row: int) -> str:
    winner = out["winner"].iloc[row]
    if winner not in WINNER_CODES:
        allowed = ", ".join(repr(k) for k in WINNER_CODES)
        return f"unknown winner {winner!r} (expected one of {allowed})"
    return f"model {out['model_a'].iloc[row]!r} battles itself"


def _text_column(raw: pd.DataFrame, name: str) -> np.ndarray | None:
    if name not in raw.columns:
        return None
    return np.array([None if _missing(v) else str(v) for v in raw[name]], dtype=object)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _flag(value: Any) -> bool | None:
    if _missing(value):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _style_counts(raw: pd.DataFrame) -> dict[str, np.ndarray] | None:
    if "conv_metadata" in raw.columns:
        return _style_from_metadata(raw["conv_metadata"])
    if "response_a" in raw.columns and "response_b" in raw.columns:
        return _style_from_text(raw["response_a"], raw["response_b"])
    return None


def _style_from_metadata(column: pd.Series) -> dict[str, np.ndarray] | None:
    values: dict[str, list[float]] = {name: [] for name in STYLE_COLUMNS}
    for item in column:
        meta = json.loads(item) if isinstance(item, str) else item
        if not isinstance(meta, Mapping):
            return None  # some battle lacks metadata: no style counts for this file
        for side in "ab":
            for feature, key in _METADATA_KEYS.items():
                value = meta.get(key.format(side=side))
                if value is None:
                    return None
                total = sum(value.values()) if isinstance(value, Mapping) else value
                values[f"{feature}_{side}"].append(float(total))
    return {name: np.asarray(v) for name, v in values.items()}


def _style_from_text(column_a: pd.Series, column_b: pd.Series) -> dict[str, np.ndarray]:
    """Counts from the answers' text (the 55k preference layout). Length is in words, not tokens."""
    out: dict[str, list[float]] = {name: [] for name in STYLE_COLUMNS}
    for side, column in (("a", column_a), ("b", column_b)):
        for item in column:
            text = _answer_text(item)
            out[f"length_{side}"].append(float(len(text.split())))
            out[f"headers_{side}"].append(float(len(_HEADER.findall(text))))
            out[f"lists_{side}"].append(float(len(_LIST_ITEM.findall(text))))
            out[f"bold_{side}"].append(float(len(_BOLD.findall(text))))
    return {name: np.asarray(v) for name, v in out.items()}


def _answer_text(item: Any) -> str:
    # The preference files store each side's answers as a JSON list of strings (one per turn).
    if _missing(item):
        return ""
    if isinstance(item, str) and item.startswith("["):
        try:
            parts = json.loads(item)
        except json.JSONDecodeError:
            return item
        return "\n".join(p for p in parts if isinstance(p, str))
    if isinstance(item, list | tuple | np.ndarray):
        return "\n".join(p for p in item if isinstance(p, str))
    return str(item)


def has_style(battles: pd.DataFrame) -> bool:
    if not all(c in battles.columns for c in STYLE_COLUMNS):
        return False
    return not battles[list(STYLE_COLUMNS)].isna().to_numpy().any()
