"""Reading the index's own published files (stanford-crfm/fmti layouts), so a user can load an edition
we do not ship yet. Files start with a UTF-8 byte-order mark; score files name indicators slightly
differently from the indicator file, so rows are joined by position and the count must agree.
"""

from __future__ import annotations

from pathlib import Path

from assay.io import check_unique_ids, csv_records
from assay.transparency.model import (
    DeveloperScores,
    Edition,
    Indicator,
    IndicatorSet,
    TransparencyError,
    slug,
)

# The 13 major dimensions of the 2023 report, from the subdomain they summarise.
DIMENSIONS_2023 = {
    "Data": "Data",
    "Data labor": "Labor",
    "Compute": "Compute",
    "Methods": "Methods",
    "Model basics": "Model Basics",
    "Model access": "Model Access",
    "Capabilities": "Capabilities",
    "Risks": "Risks",
    "Model Mitigations": "Mitigations",
    "Distribution": "Distribution",
    "Usage policy": "Usage Policy",
    "Feedback": "Feedback",
    "Impact": "Impact",
}


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line, cells) of every record with some text in it (the index's files end in empty rows)."""
    records = csv_records(path, what="CSV file", error=TransparencyError)
    return [(line, row) for line, row in records if any(cell.strip() for cell in row)]


def describe(name: str, subdomain: str) -> str:
    """Our own one-line gloss of an indicator (the index's definitions stay with the index)."""
    return f"Does the developer make public its {name.strip().lower()}? ({subdomain.strip()})"


def read_indicator_file(path: Path, set_name: str, title: str) -> IndicatorSet:
    rows = _rows(path)
    if not rows or [c.strip() for c in rows[0][1][:3]] != ["Domain", "Subdomain", "Indicator"]:
        where = f"{path}:{rows[0][0]}" if rows else str(path)
        raise TransparencyError(f"{where}: expected the columns Domain, Subdomain, Indicator first")
    indicators = []
    places = []
    for line, row in rows[1:]:
        if len(row) < 3 or not all(c.strip() for c in row[:3]):
            raise TransparencyError(f"{path}:{line}: needs a domain, a subdomain and an indicator name")
        domain, subdomain, name = (c.strip() for c in row[:3])
        indicators.append(
            Indicator(
                id=f"{slug(domain)}.{slug(subdomain)}.{slug(name)}",
                domain=domain,
                subdomain=subdomain,
                name=name,
                description=describe(name, subdomain),
                dimension=DIMENSIONS_2023.get(subdomain) if set_name == "fmti-v1" else None,
            )
        )
        places.append(f"{path}:{line}")
    check_unique_ids(
        zip((i.id for i in indicators), places, strict=True), "indicator", error=TransparencyError
    )
    return IndicatorSet(name=set_name, title=title, indicators=tuple(indicators))


def _score(cell: str, where: str, developer: str) -> int:
    value = cell.strip()
    if value not in ("0", "1"):
        raise TransparencyError(f"{where}: score for {developer} must be 0 or 1, got {cell!r}")
    return int(value)


def _totals(
    where: str, cells: list[str], developers: list[str], scores: dict[str, dict[str, int]]
) -> dict[str, int | None]:
    """The printed Total row, which must equal the sums of the scores above it."""
    totals: dict[str, int | None] = {}
    for dev, cell in zip(developers, cells, strict=False):
        printed = cell.strip()
        totals[dev] = int(printed) if printed.isdigit() else None
        added = sum(scores[dev].values())
        if totals[dev] is not None and totals[dev] != added:
            raise TransparencyError(
                f"{where}: the Total for {dev} is {printed} but its scores add up to {added}"
            )
    return totals


def read_score_file(
    path: Path,
    indicators: IndicatorSet,
    *,
    name: str,
    title: str,
    source: str,
    license: str,
    open_weights: dict[str, bool | None] | None = None,
) -> Edition:
    """A scores CSV: optional Domain/Subdomain columns, then Indicator, then one column per developer;
    an optional final Total row, which must equal our sums."""
    rows = _rows(path)
    header_line, header = (rows[0][0], [c.strip() for c in rows[0][1]]) if rows else (1, [])
    if "Indicator" not in header:
        raise TransparencyError(f"{path}:{header_line}: no Indicator column in the header")
    first = header.index("Indicator") + 1
    developers = [d for d in header[first:] if d and d.lower() != "total"]
    if not developers:
        raise TransparencyError(f"{path}:{header_line}: no developer columns after Indicator")
    body = rows[1:]
    total = body.pop() if body and body[-1][1][first - 1].strip().lower() == "total" else None
    if len(body) != len(indicators.indicators):
        raise TransparencyError(
            f"{path}: {len(body)} indicator rows, but the set {indicators.name} has "
            f"{len(indicators.indicators)} (rows are joined by position)"
        )
    scores: dict[str, dict[str, int]] = {d: {} for d in developers}
    for (line, row), indicator in zip(body, indicators.indicators, strict=True):
        where = f"{path}:{line}"
        if len(row) < first + len(developers):
            raise TransparencyError(f"{where}: expected {first + len(developers)} cells, got {len(row)}")
        for j, dev in enumerate(developers):
            scores[dev][indicator.id] = _score(row[first + j], where, dev)
    totals = _totals(f"{path}:{total[0]}", total[1][first:], developers, scores) if total else {}
    flags = open_weights or {}
    return Edition(
        name=name,
        indicator_set=indicators.name,
        title=title,
        source=source,
        license=license,
        developers=tuple(
            DeveloperScores(
                developer=d, scores=scores[d], open_weights=flags.get(d), published_total=totals.get(d)
            )
            for d in developers
        ),
    )
