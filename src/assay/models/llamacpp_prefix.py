"""Where a shared prompt prefix may be cut off and evaluated apart without changing any number.

The sequential path evaluates a prompt in decodes of `n_batch` tokens: [0, B), [B, 2B), ... and the
rest. A row's numbers depend only on whether its step is a one-token-kernel step or a many-token one
(see `llamacpp_numerics`), and on the cells before it. Holding a prefix of P tokens (evaluated in the
same aligned pieces) and evaluating the rest after it is exact when P falls on a piece boundary, or
when the piece it cuts in two keeps at least `least` tokens on each side (probed per model: one more
than the largest one-token-kernel step, or 1 for a model whose kernels never switch).
"""

from __future__ import annotations

from assay.models.llamacpp_scoring import common_prefix


def cut_is_exact(prefix: int, length: int, *, least: int, n_batch: int) -> bool:
    """Whether a prompt of `length` tokens may take its first `prefix` tokens from a held copy."""
    if not 0 < prefix < length:  # the prompt's last row must be computed: something must remain
        return False
    whole, before = divmod(prefix, n_batch)
    if before == 0:
        return True  # on a boundary: every piece is the sequential path's
    after = min((whole + 1) * n_batch, length) - prefix
    return before >= least and after >= least


def shared_prefix(prompts: list[list[int]], *, least: int, n_batch: int, shortest: int = 1) -> int:
    """The longest prefix, of at least `shortest` tokens, all the prompts share that each may be cut
    at exactly (0: none)."""
    if len(prompts) < 2 or least < 1:
        return 0
    longest = min(common_prefix(prompts), min(len(p) for p in prompts) - 1)
    for prefix in range(longest, shortest - 1, -1):
        if all(cut_is_exact(prefix, len(p), least=least, n_batch=n_batch) for p in prompts):
            return prefix
    return 0


def longest_exact_cut(
    prompt: list[int], source: list[int], *, least: int, n_batch: int, shortest: int = 1
) -> int:
    """How many of the prompt's first tokens (at least `shortest`) may come from a stream holding
    `source`'s cells (0: none)."""
    if least < 1:
        return 0
    for prefix in range(min(common_prefix([prompt, source]), len(prompt) - 1), shortest - 1, -1):
        if cut_is_exact(prefix, len(prompt), least=least, n_batch=n_batch):
            return prefix
    return 0


def pieces(start: int, end: int, n_batch: int) -> list[tuple[int, int]]:
    """[start, end) in the sequential path's pieces: cut at every multiple of `n_batch`."""
    out = []
    while start < end:
        stop = min((start // n_batch + 1) * n_batch, end)
        out.append((start, stop))
        start = stop
    return out
