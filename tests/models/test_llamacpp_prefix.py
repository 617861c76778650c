"""Where a shared prompt prefix may be cut without changing a number (the rules; the models' side is in
test_llamacpp_batch)."""

from __future__ import annotations

from assay.models.llamacpp_prefix import cut_is_exact, longest_exact_cut, pieces, shared_prefix


def test_a_cut_keeps_enough_tokens_on_both_sides_of_the_piece_it_falls_in():
    # One piece (the prompt fits n_batch): 8+ tokens each side for a model whose kernels switch at 8.
    assert cut_is_exact(8, 16, least=8, n_batch=512)
    assert not cut_is_exact(7, 16, least=8, n_batch=512)  # the prefix would be a one-token-kernel step
    assert not cut_is_exact(9, 16, least=8, n_batch=512)  # so would the rest
    # A long prompt: the rest is measured to the end of its piece, not of the prompt.
    assert cut_is_exact(600, 1100, least=8, n_batch=512)
    assert not cut_is_exact(1020, 1100, least=8, n_batch=512)  # 4 tokens left in the piece [512, 1024)
    assert cut_is_exact(1024, 1100, least=8, n_batch=512)  # on a boundary: always
    # Something must remain to compute the last row; nothing to cut at 0.
    assert not cut_is_exact(16, 16, least=1, n_batch=512)
    assert not cut_is_exact(0, 16, least=1, n_batch=512)


def test_the_shared_prefix_is_the_longest_exact_cut_for_every_prompt():
    system = list(range(100, 140))
    prompts = [[*system, 1, 2, 3], [*system, 4, 5, 6, 7, 8, 9, 10, 11, 12]]
    # With kernels that never switch the prefix is all that is shared...
    assert shared_prefix(prompts, least=1, n_batch=512) == 40
    # ...where they switch at 8 the first prompt must keep 8 tokens of its own.
    assert shared_prefix(prompts, least=8, n_batch=512) == 35
    assert shared_prefix(prompts, least=8, n_batch=512, shortest=36) == 0  # not worth a copy
    assert shared_prefix(prompts[:1], least=1, n_batch=512) == 0  # nothing to share with
    assert shared_prefix(prompts, least=0, n_batch=512) == 0  # no cut is exact on this model


def test_a_prompt_takes_the_longest_exact_start_of_a_source():
    source = list(range(50))
    assert longest_exact_cut(list(range(30)) + [99] * 20, source, least=8, n_batch=512) == 30
    assert longest_exact_cut(list(range(50)) + [99] * 3, source, least=8, n_batch=512) == 45
    assert longest_exact_cut([7, *list(range(1, 60))], source, least=1, n_batch=512) == 0
    assert longest_exact_cut(list(range(30)) + [99] * 20, source, least=8, n_batch=512, shortest=31) == 0


def test_pieces_follow_the_sequential_path_boundaries():
    assert pieces(0, 1100, 512) == [(0, 512), (512, 1024), (1024, 1100)]
    assert pieces(600, 1100, 512) == [(600, 1024), (1024, 1100)]
    assert pieces(5, 5, 512) == []
