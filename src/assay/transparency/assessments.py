"""Auditing a developer against an indicator set: scores with evidence, rebuttals with history,
JSON and CSV export, JSON import (a round trip gives back the same scores and evidence)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from assay.io import read_json
from assay.store import Store
from assay.store import assessments as rows
from assay.transparency.model import DeveloperScores, TransparencyError, load_indicator_set

FORMAT = "assay-transparency-assessment/1"


def _check_evidence(evidence: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for i, item in enumerate(evidence):
        if not isinstance(item, dict) or not (item.get("url") or item.get("quote")):
            raise TransparencyError(f"evidence[{i}]: give a url, a quote or both")
        url = item.get("url", "")
        if url and not url.startswith(("http://", "https://")):
            raise TransparencyError(f"evidence[{i}]: url must start with http:// or https://, got {url!r}")
        out.append({k: str(v) for k, v in item.items() if k in ("url", "quote") and v})
    return out


def create(store: Store, *, developer: str, model: str, indicator_set: str, assessor: str) -> str:
    load_indicator_set(indicator_set)  # fail on an unknown set before writing anything
    if not developer.strip() or not assessor.strip():
        raise TransparencyError("an assessment needs a developer and an assessor")
    return rows.create_assessment(
        store,
        developer=developer.strip(),
        model=model.strip(),
        indicator_set=indicator_set,
        created_by=assessor.strip(),
    )


def set_score(
    store: Store,
    assessment_id: str,
    indicator_id: str,
    score: int,
    *,
    assessor: str,
    evidence: list[dict[str, str]] | None = None,
    justification: str = "",
    rebuttal: str | None = None,
) -> int | None:
    """Score one indicator (0/1). With `rebuttal`, the change is recorded as the developer's rebuttal
    and its reason; the previous score stays in the history either way."""
    head = rows.read_assessment(store, assessment_id)
    load_indicator_set(head["indicator_set"]).get(indicator_id)
    if score not in (0, 1):
        raise TransparencyError(f"score must be 0 or 1, got {score!r}")
    if not assessor.strip():
        raise TransparencyError("a score needs an assessor (who scored it)")
    if rebuttal is not None and not rebuttal.strip():
        raise TransparencyError("a rebuttal needs its reason")
    if rebuttal is not None and indicator_id not in head["scores"]:
        raise TransparencyError(f"indicator {indicator_id} has no score yet to rebut")
    return rows.put_score(
        store,
        assessment_id,
        indicator_id,
        score=score,
        evidence=_check_evidence(evidence or []),
        justification=justification,
        by=assessor.strip(),
        kind="rebuttal" if rebuttal else "score",
        reason=rebuttal or "",
    )


def as_developer_scores(store: Store, assessment_id: str) -> DeveloperScores:
    """The assessment as an edition row (unscored indicators count 0), for the same analyses."""
    data = rows.read_assessment(store, assessment_id)
    ids = load_indicator_set(data["indicator_set"]).ids()
    return DeveloperScores(
        developer=data["developer"],
        model=data["model"],
        scores={i: int(data["scores"].get(i, {}).get("score", 0)) for i in ids},
    )


def export_json(store: Store, assessment_id: str) -> str:
    data = rows.read_assessment(store, assessment_id)
    return json.dumps({"format": FORMAT, **data}, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def export_csv(store: Store, assessment_id: str) -> str:
    data = rows.read_assessment(store, assessment_id)
    indicators = load_indicator_set(data["indicator_set"])
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "indicator_id",
            "domain",
            "subdomain",
            "indicator",
            "score",
            "justification",
            "evidence",
            "assessor",
            "updated_at",
        ]
    )
    for ind in indicators.indicators:
        s = data["scores"].get(ind.id)
        evidence = (
            " | ".join(" ".join(filter(None, (e.get("url"), e.get("quote")))) for e in s["evidence"])
            if s
            else ""
        )
        writer.writerow(
            [
                ind.id,
                ind.domain,
                ind.subdomain,
                ind.name,
                "" if s is None else s["score"],
                s["justification"] if s else "",
                evidence,
                s["assessor"] if s else "",
                s["updated_at"] if s else "",
            ]
        )
    return buf.getvalue()


def import_json(store: Store, path: Path) -> str:
    """Load an exported assessment (same id, scores, evidence and history) into this store."""
    data = read_json(path, what="assessment file", error=TransparencyError)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise TransparencyError(f"{path}: format must be {FORMAT!r}, got {found!r}")
    indicators = load_indicator_set(str(data.get("indicator_set")))
    scores = data.get("scores", {})
    if not isinstance(scores, dict):
        raise TransparencyError(f"{path}: 'scores' must map indicator ids to scores")
    for indicator_id, s in scores.items():
        indicators.get(indicator_id)
        if not isinstance(s, dict) or s.get("score") not in (0, 1) or isinstance(s.get("score"), bool):
            raise TransparencyError(f"{path}: scores.{indicator_id}.score must be 0 or 1")
        evidence = s.get("evidence", [])
        if not isinstance(evidence, list):
            raise TransparencyError(f"{path}: scores.{indicator_id}.evidence must be a list")
        _check_evidence(evidence)
    if not isinstance(data.get("history", []), list):
        raise TransparencyError(f"{path}: 'history' must be a list")
    try:
        return rows.restore_assessment(store, data)
    except KeyError as exc:
        raise TransparencyError(f"{path}: missing field {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise TransparencyError(f"{path}: not a valid assessment ({exc})") from None
