"""Saving a chart: a Vega-Lite spec (the dict every chart function returns) as .json, or rendered by
vl-convert as .html, .svg or .png. The file appears whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from assay.core.errors import AssayError
from assay.io import write_bytes_atomic, write_text_atomic

CHART_SUFFIXES = (".json", ".html", ".svg", ".png")


def save_chart(
    spec: dict[str, Any],
    out: str | os.PathLike[str],
    *,
    what: str = "the chart file",
    error: type[AssayError] = AssayError,
) -> Path:
    """Write `spec` to `out` by its suffix; returns the path. `what` names `out` in an error."""
    target = Path(out)
    suffix = target.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise error(f"{what} must end in .json, .html, .svg or .png, not {target.name}")
    if suffix == ".json":
        return write_text_atomic(target, json.dumps(spec, indent=1), error=error)
    import vl_convert as vlc  # only when a chart is rendered: a large native library

    if target.is_dir():  # before the rendering, which takes a while
        raise error(f"cannot write {target}: it is a directory")
    if suffix == ".png":
        return write_bytes_atomic(target, vlc.vegalite_to_png(spec, scale=2), error=error)
    text = vlc.vegalite_to_svg(spec) if suffix == ".svg" else vlc.vegalite_to_html(spec, bundle=True)
    return write_text_atomic(target, text, error=error)
