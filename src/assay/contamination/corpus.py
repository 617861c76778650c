"""Streaming a training corpus in blocks: plain text, JSONL (one text field), Parquet; gzip or zstd.

Nothing holds more than a block (~8 MB of text) at a time. A text block ends at a line break and
starts with the last bytes of the block before it, so an n-gram across the seam is still seen (the
scanner drops the repeated hits). Records (JSONL lines, Parquet rows) are packed into one block with a
sentinel word between them, so no n-gram spans two records; each record keeps its own location.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from assay.core.errors import AssayError, ConfigError

BLOCK_BYTES = 8 << 20
SEAM_BYTES = 2048  # longer than any 13-gram worth finding
# Between packed records: a word (0xff never occurs in UTF-8) that no item n-gram contains.
RECORD_SEPARATOR = b"\n\xff\n"
TEXT_SUFFIXES = {".txt", ".text", ".md", ""}


class CorpusError(AssayError):
    """A corpus file that cannot be read as the format it claims."""


@dataclass
class Block:
    """Raw bytes of one stretch of a corpus file, with what is needed to say where a byte came from."""

    source: str
    data: bytes
    base: int  # text: decompressed byte offset of data[0]; records: unused (0)
    line0: int  # text: 1-based line number of data[0]
    consumed: int  # bytes of the (compressed) file read so far, for progress
    # records only: start of each record in `data`, and its (line or row, byte offset in the file)
    record_starts: np.ndarray | None = None
    record_where: list[tuple[int, int]] = field(default_factory=list)

    def doc_starts(self) -> np.ndarray:
        """Start of each document in `data`: a record, or a line of plain text."""
        if self.record_starts is not None:
            return self.record_starts
        arr = np.frombuffer(self.data, dtype=np.uint8)
        return np.concatenate(([0], np.flatnonzero(arr == 0x0A) + 1))

    def locate(self, pos: int) -> tuple[int | None, int]:
        """(line or row, byte offset) of byte `pos` of `data` in the source file."""
        if self.record_starts is None:
            return self.line0 + self.data.count(b"\n", 0, pos), self.base + pos
        i = int(np.searchsorted(self.record_starts, pos, side="right")) - 1
        return self.record_where[max(i, 0)]


def corpus_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files named, with directories expanded (sorted, hidden files skipped)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            out.extend(p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            out.append(path)
        else:
            raise ConfigError(f"corpus path {str(raw)!r} does not exist")
    if not out:
        raise ConfigError("the corpus has no files")
    return out


def file_format(path: Path) -> tuple[str, str | None]:
    """(kind, compression): kind is text, jsonl or parquet; compression gzip, zstd or None."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in (".gz", ".zst", ".zstd"):
        compression = "gzip" if suffixes.pop() == ".gz" else "zstd"
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".ndjson", ".json"):
        return "jsonl", compression
    if last == ".parquet":
        return "parquet", compression
    return "text", compression


def _open_stream(path: Path, compression: str | None) -> tuple[Any, IO[bytes]]:
    """(decompressed stream, raw file) for reading; the raw file tells how far we got."""
    raw = path.open("rb")
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw), raw
    if compression == "zstd":
        try:
            import zstandard
        except ImportError:  # pragma: no cover - a dependency of assay
            raise CorpusError("reading .zst needs the zstandard package (pip install zstandard)") from None
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True), raw
    return raw, raw


def read_blocks(path: Path, *, text_field: str = "text", block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """Every block of one corpus file, whatever its format."""
    kind, compression = file_format(path)
    try:
        if kind == "parquet":
            if compression:
                raise CorpusError(f"{path}: compressed Parquet is not supported (Parquet compresses itself)")
            yield from _parquet_blocks(path, text_field)
            return
        stream, raw = _open_stream(path, compression)
        with raw, stream:
            if kind == "jsonl":
                yield from _jsonl_blocks(path, stream, raw, text_field, block_bytes)
            else:
                yield from _text_blocks(path, stream, raw, block_bytes)
    except (OSError, EOFError, ValueError) as exc:
        if isinstance(exc, AssayError):
            raise
        raise CorpusError(
            f"{path}: cannot read it as {kind} ({compression or 'uncompressed'}): {exc}"
        ) from None


def _text_blocks(path: Path, stream: Any, raw: IO[bytes], block_bytes: int) -> Iterator[Block]:
    pending = b""
    offset = line = 0  # of the start of `pending`
    seam = b""
    while True:
        chunk = stream.read(block_bytes)
        pending += chunk
        cut = pending.rfind(b"\n") + 1 if chunk else len(pending)
        if chunk and cut == 0:
            if len(pending) < 4 * block_bytes:
                continue  # a very long line: read more before cutting
            cut = len(pending)
        body, pending = pending[:cut], pending[cut:]
        if body:
            yield Block(
                source=str(path),
                data=seam + body,
                base=offset - len(seam),
                line0=line + 1 - seam.count(b"\n"),
                consumed=raw.tell(),
            )
            seam = body[-SEAM_BYTES:]
            seam = seam[seam.find(b" ") + 1 :]  # whole words only
            offset += len(body)
            line += body.count(b"\n")
        if not chunk:
            return


def _pack(path: Path, texts: list[tuple[str, int, int]], consumed: int) -> Block:
    """Records (text, line or row, byte offset) packed into one block."""
    encoded = [t.encode("utf-8", errors="replace") for t, _, _ in texts]
    lengths = np.fromiter(
        (len(e) + len(RECORD_SEPARATOR) for e in encoded), dtype=np.int64, count=len(encoded)
    )
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(encoded) else np.empty(0, np.int64)
    return Block(
        source=str(path),
        data=RECORD_SEPARATOR.join(encoded) + RECORD_SEPARATOR,
        base=0,
        line0=1,
        consumed=consumed,
        record_starts=starts.astype(np.int64),
        record_where=[(where, off) for _, where, off in texts],
    )


def _jsonl_blocks(
    path: Path, stream: Any, raw: IO[bytes], text_field: str, block_bytes: int
) -> Iterator[Block]:
    batch: list[tuple[str, int, int]] = []
    size = offset = 0
    # Kept in a name: a dropped BufferedReader closes the stream under it (and zstd the file too).
    lines = io.BufferedReader(stream, 1 << 20) if stream is not raw else raw
    for number, line in enumerate(lines, 1):
        start, offset = offset, offset + len(line)
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{number}: not JSON ({exc.msg})") from None
        text = record.get(text_field) if isinstance(record, dict) else None
        if not isinstance(text, str):
            raise CorpusError(f"{path}:{number}: no text field {text_field!r} (use --text-field)")
        batch.append((text, number, start))
        size += len(text)
        if size >= block_bytes:
            yield _pack(path, batch, raw.tell())
            batch, size = [], 0
    if batch:
        yield _pack(path, batch, raw.tell())


def _parquet_blocks(path: Path, text_field: str) -> Iterator[Block]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    if text_field not in parquet.schema_arrow.names:
        raise CorpusError(
            f"{path}: no column {text_field!r} (columns: {', '.join(parquet.schema_arrow.names)})"
        )
    row = 0
    total = path.stat().st_size
    groups = parquet.metadata.num_row_groups or 1
    for done, batch in enumerate(parquet.iter_batches(batch_size=8192, columns=[text_field]), 1):
        texts = batch.column(0).to_pylist()
        packed = [(t or "", row + i + 1, 0) for i, t in enumerate(texts)]
        row += len(texts)
        yield _pack(path, packed, min(total, total * done // max(groups, done)))
