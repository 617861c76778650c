"""Rows of a Hugging Face hub dataset, through the `datasets` library when it is installed.

Offline (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE, or no network) this fails with one clear line that
suggests a local path instead. Rows are named `hf:name/config[split]:row N` (0-based).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from assay.core.errors import DatasetError
from assay.io.row import Row


def hub_source(name: str, config: str | None = None, split: str = "test") -> str:
    return f"hf:{name}{f'/{config}' if config else ''}[{split}]"


def read_hf(name: str, config: str | None = None, split: str = "test") -> Iterator[Row]:
    """Rows of the hub dataset `name` (its `config`, its `split`)."""
    where = hub_source(name, config, split)
    try:
        import datasets
    except ImportError:
        raise DatasetError(
            f"{where}: loading from the Hugging Face hub needs `pip install datasets`; "
            "or give the task a local path"
        ) from None
    offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1"
    offline_hint = " (HF_HUB_OFFLINE is set)" if offline else ""
    try:
        data = datasets.load_dataset(name, config, split=split)
    except Exception as exc:  # the library raises many types for "not reachable / not found"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(
            f"{where}: cannot load from the hub{offline_hint}: {message[:200]}; "
            "download it where a hub is reachable and pass a local path"
        ) from None
    for number, record in enumerate(data):
        yield Row(dict(record), where, number)
