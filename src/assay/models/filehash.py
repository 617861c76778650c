"""sha256 of large model files, remembered per (path, size, mtime) so it is computed once."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

_MEMO: dict[tuple[str, int, int], str] = {}


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("ASSAY_CACHE_DIR") or user_cache_dir("assay", appauthor=False))


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    path = path.resolve()
    st = path.stat()
    memo_key = (str(path), st.st_size, st.st_mtime_ns)
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    index_file = cache_dir() / "file-hashes.json"
    try:
        index = json.loads(index_file.read_text())
    except (OSError, ValueError):
        index = {}
    entry = index.get(str(path))
    if entry and entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns:
        digest = str(entry["sha256"])
    else:
        digest = sha256_of(path)
        index[str(path)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        try:
            index_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = index_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(index))
            os.replace(tmp, index_file)
        except OSError:
            pass  # a read-only cache only costs a re-hash next time
    _MEMO[memo_key] = digest
    return digest
