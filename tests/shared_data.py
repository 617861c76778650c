"""Where the workplace's shared datasets are: `$ASSAY_SHARED_DATA`, else `../shared/data` beside the
checkout, else `/work/shared/data` (a checkout cloned elsewhere, e.g. a CI copy in /tmp)."""

import os
from pathlib import Path

_CANDIDATES = (Path(__file__).resolve().parents[2] / "shared" / "data", Path("/work/shared/data"))


def shared_data() -> Path:
    env = os.environ.get("ASSAY_SHARED_DATA")
    if env:
        return Path(env)
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    return _CANDIDATES[0]  # the tests that need it then fail naming this path
