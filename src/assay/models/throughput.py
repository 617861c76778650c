"""A process-wide count of tokens the local backends have run through a model, for tokens/s displays.

Backends add to it as they decode; a progress bar reads it. It lives here (not in the engine) because
backends may not import the engine, while the engine may import backends.
"""

from __future__ import annotations

import threading


class TokenMeter:
    """A thread-safe running total; readers take differences over time."""

    def __init__(self) -> None:
        self._total = 0
        self._lock = threading.Lock()

    def add(self, tokens: int) -> None:
        with self._lock:
            self._total += tokens

    @property
    def total(self) -> int:
        return self._total


# Every token a local backend evaluated: prompt, generated and scored tokens alike.
tokens_processed = TokenMeter()
