"""Packaged-file lookup: data shipped inside assay, and inside other installed distributions."""

from __future__ import annotations

import pytest

from assay.core.errors import AssayError
from assay.io import distribution_file, packaged_path, read_packaged_json, read_packaged_text, read_rows


def test_assay_finds_its_own_data_files() -> None:
    path = packaged_path("assay.trends", "data/epoch_models.json")
    assert path.is_file() and path.name == "epoch_models.json"
    assert "columns" in read_packaged_json("assay.trends", "data/epoch_models.json")
    assert "policies" in read_packaged_text("assay.safety", "data/policies.yaml")
    prompts = list(read_rows(packaged_path("assay.safety", "data/refusal_prompts.json")))
    assert prompts and prompts[0].where.startswith(str(path.parents[2] / "safety" / "data"))


def test_a_missing_data_file_is_one_line() -> None:
    with pytest.raises(AssayError, match=r"^package assay\.trends has no data file data/nope\.json"):
        packaged_path("assay.trends", "data/nope.json")
    with pytest.raises(AssayError, match=r"no package 'assay\.nowhere'"):
        packaged_path("assay.nowhere", "x.json")


def test_files_of_other_distributions() -> None:
    path = distribution_file("PyYAML", "yaml/__init__.py", hint="pip install pyyaml")
    assert path.is_file()
    with pytest.raises(AssayError, match=r"package 'not-a-real-pkg' is not installed: pip install it"):
        distribution_file("not-a-real-pkg", "x.bin", hint="pip install it")
    with pytest.raises(AssayError, match=r"has no yaml/missing\.bin"):
        distribution_file("PyYAML", "yaml/missing.bin", hint="pip install pyyaml")
