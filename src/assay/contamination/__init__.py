"""Contamination and drift: is a benchmark in the training data, and did the model behind a name change?

- `overlap.scan_corpus`: 13-gram overlap and MinHash near-duplicates of task items in a corpus
  (streamed: text, JSONL, Parquet; gzip, zstd), stored with the corpus location of each hit;
- `clean.clean_leaderboard`: each score on the clean subset beside the full one;
- `mink`: Min-K% and Min-K%++ from per-token log-probabilities, as the `min_k` task (engine-run);
- `drift.drift`: a model's runs over time, paired differences and the answers that changed.

Layer: like judge and safety, this package may import core, io, metrics, rank, store and engine.
"""
