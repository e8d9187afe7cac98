#!/usr/bin/env python3
"""hnswlib as the reference HNSW in Segue's search benchmark.

Builds an hnswlib index (space 'ip', M=16, ef_construction=200) over a Segue vector file, times the
build once per thread count, then for each ef runs the queries single-threaded, one query per call
in a Python loop (the headline figure, comparable with a Rust loop over queries) and as one batch
`knn_query` call, and prints one JSON object to stdout:

  {"build_s": {"1": s, "2": s}, "peak_rss_bytes": n,
   "runs": [{"ef": e, "recall_at_10": r, "qps": q, "p50_ms": t, "p99_ms": t, "qps_batch": q},
            ...],
   "qps_at_095": q or null, ...context fields (rows, dim, queries, k, versions)...}

`qps_at_095` is the best one-query-at-a-time QPS among the efs whose recall is at least 0.95. The
recall key is `recall_at_<k>` for `--k`. Progress goes to stderr. Run it with the venv that
`scripts/bench-setup` makes: `.bench-venv/bin/python benches/hnswlib/hnswlib_ref.py --base ...`.

Input files
-----------
--base, --queries: Segue vector files (index/src/vectors.rs): a 64-byte little-endian header

    offset 0  magic b"SEGUEVEC"          offset 16  rows (u64)
    offset 8  format version (u32) 1|2   offset 24  CRC-32 (IEEE, as zlib) of the data section
    offset 12 dim (u32)                  offset 28  flags (bit 0: rows are L2-normalised,
                                                    bit 1: a norms section follows the data)

  then rows x dim little-endian f32, row-major, then (format 2 with flag bit 1) rows f32 norms,
  which this script does not need. The file is memory-mapped, never copied; its CRC
  is checked unless --no-verify. Rows are expected to be L2-normalised (so inner product =
  cosine); a file without the flag is used as is, with a warning.

--truth: the exact top-k row numbers of the base file for each query, best first, as either
  * a `.npy` file (any integer dtype, shape queries x kt), or
  * any other name: raw little-endian int32, row-major, queries x kt, no header; kt is the file
    size / (4 x number of queries).
  kt must be at least --k; the first k columns are used. Row numbers index the base file.

Python's per-call overhead (a few microseconds) is inside the one-query-at-a-time figure; the
batch figure shows hnswlib's C++ loop without it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import struct
import sys
import time
import zlib
from importlib import metadata

import numpy as np

MAGIC = b"SEGUEVEC"
FORMAT_VERSIONS = (1, 2)
HEADER_BYTES = 64
FLAG_NORMALISED = 1
FLAG_HAS_NORMS = 2
M = 16
EF_CONSTRUCTION = 200
RANDOM_SEED = 100


class InputError(Exception):
    """Bad input: the message names the file or option and what is wrong."""


def log(msg: str) -> None:
    print(f"hnswlib_ref: {msg}", file=sys.stderr, flush=True)


def open_vectors(path: str, verify: bool) -> np.ndarray:
    """Memory-maps a Segue vector file as a read-only (rows, dim) float32 array."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(HEADER_BYTES)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e
    if len(head) < HEADER_BYTES:
        raise InputError(f"{path}: {size} bytes, shorter than the {HEADER_BYTES}-byte header")
    if head[0:8] != MAGIC:
        raise InputError(f"{path}: not a Segue vector file (bad magic {head[0:8]!r})")
    version, dim, rows, crc, flags = struct.unpack_from("<IIQII", head, 8)
    if version not in FORMAT_VERSIONS:
        raise InputError(f"{path}: vector file format version {version}, this script reads {FORMAT_VERSIONS}")
    if dim == 0:
        raise InputError(f"{path}: dimension 0")
    if rows == 0:
        raise InputError(f"{path}: no rows")
    norms = rows * 4 if version >= 2 and flags & FLAG_HAS_NORMS else 0
    want = HEADER_BYTES + rows * dim * 4 + norms
    if size != want:
        raise InputError(
            f"{path}: {size} bytes, but the header says {rows} rows of dimension {dim} ({want} bytes"
            f"{' with norms' if norms else ''})"
        )
    data = np.memmap(path, dtype="<f4", mode="r", offset=HEADER_BYTES, shape=(rows, dim))
    if verify:
        actual = zlib.crc32(memoryview(data).cast("B")) & 0xFFFFFFFF
        if actual != crc:
            raise InputError(f"{path}: data checksum mismatch (header {crc:08x}, data {actual:08x})")
    if not flags & FLAG_NORMALISED:
        log(f"warning: {path}: rows are not flagged L2-normalised; inner product is not cosine")
    return data


def open_truth(path: str, queries: int, k: int, base_rows: int) -> np.ndarray:
    """Reads the ground truth as a (queries, k) int64 array of base row numbers."""
    try:
        if path.endswith(".npy"):
            truth = np.load(path, mmap_mode="r", allow_pickle=False)
            if truth.ndim != 2 or not np.issubdtype(truth.dtype, np.integer):
                raise InputError(
                    f"{path}: expected a 2-D integer array, found shape {truth.shape} dtype {truth.dtype}"
                )
        else:
            size = os.path.getsize(path)
            if size == 0 or size % (4 * queries) != 0:
                raise InputError(
                    f"{path}: {size} bytes is not {queries} queries x kt x 4-byte int32 for any kt"
                )
            truth = np.fromfile(path, dtype="<i4").reshape(queries, size // (4 * queries))
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from e
    except ValueError as e:  # np.load on a file that is not .npy
        raise InputError(f"{path}: not a valid .npy file: {e}") from e
    if truth.shape[0] != queries:
        raise InputError(f"{path}: {truth.shape[0]} rows of ground truth for {queries} queries")
    if truth.shape[1] < k:
        raise InputError(f"{path}: {truth.shape[1]} neighbours per query, fewer than --k {k}")
    truth = np.asarray(truth[:, :k], dtype=np.int64)
    bad = np.argwhere((truth < 0) | (truth >= base_rows))
    if len(bad):
        q, j = bad[0]
        raise InputError(
            f"{path}: query {q}, neighbour {j}: row {truth[q, j]} outside the base file's {base_rows} rows"
        )
    return truth


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean over queries of |found ∩ truth| / k (recall@k)."""
    # Both rows hold distinct row numbers, so counting equal pairs counts the intersection.
    hits = int((found[:, :, None] == truth[:, None, :]).sum())
    return hits / truth.size


def build(hnswlib, base: np.ndarray, threads: int):
    index = hnswlib.Index(space="ip", dim=base.shape[1])
    index.init_index(
        max_elements=base.shape[0], M=M, ef_construction=EF_CONSTRUCTION, random_seed=RANDOM_SEED
    )
    started = time.perf_counter()
    index.add_items(base, np.arange(base.shape[0]), num_threads=threads)
    return index, time.perf_counter() - started


def run_ef(index, queries: np.ndarray, truth: np.ndarray, k: int, ef: int) -> dict:
    index.set_ef(ef)
    index.set_num_threads(1)
    n = len(queries)
    # Warm-up so the first timed queries do not pay for page faults and cold caches.
    for q in queries[: min(n, 100)]:
        index.knn_query(q, k=k, num_threads=1)

    found = np.empty((n, k), dtype=np.int64)
    each = np.empty(n, dtype=np.float64)
    clock = time.perf_counter
    started = clock()
    for i in range(n):
        t = clock()
        labels, _ = index.knn_query(queries[i], k=k, num_threads=1)
        each[i] = clock() - t
        found[i] = labels[0]
    single_s = clock() - started

    started = time.perf_counter()
    batch_labels, _ = index.knn_query(queries, k=k, num_threads=1)
    batch_s = time.perf_counter() - started

    return {
        "ef": ef,
        f"recall_at_{k}": round(recall(found, truth), 6),
        "qps": round(n / single_s, 1),
        "p50_ms": round(float(np.percentile(each, 50)) * 1e3, 4),
        "p99_ms": round(float(np.percentile(each, 99)) * 1e3, 4),
        "qps_batch": round(n / batch_s, 1),
        f"recall_at_{k}_batch": round(recall(batch_labels.astype(np.int64), truth), 6),
    }


def positive_ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers")
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: give one or more positive integers")
    return values


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Time hnswlib (ip, M=16, ef_construction=200) on Segue vector files; "
        "prints one JSON object.",
    )
    p.add_argument("--base", required=True, help="Segue vector file to index")
    p.add_argument("--queries", required=True, help="Segue vector file of queries (same dim)")
    p.add_argument("--truth", required=True, help="exact top-k row numbers: .npy or raw int32")
    p.add_argument("--k", type=int, default=10, help="neighbours per query (default 10)")
    p.add_argument(
        "--efs",
        type=positive_ints,
        default=positive_ints("10,16,24,32,48,64,96,128,192,256"),
        help="search ef values, comma-separated (values below k act as k)",
    )
    p.add_argument(
        "--threads",
        type=positive_ints,
        default=positive_ints("1,2"),
        help="build thread counts, comma-separated: one timed build each (default 1,2)",
    )
    p.add_argument(
        "--skip-build-threads",
        action="store_true",
        help="build once, with the largest --threads count, instead of once per count",
    )
    p.add_argument("--no-verify", action="store_true", help="skip the vector files' CRC check")
    args = p.parse_args(argv)
    if args.k <= 0:
        p.error("--k must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        import hnswlib
    except ImportError:
        log("error: hnswlib is not installed here; run scripts/bench-setup and use .bench-venv/bin/python")
        return 2
    try:
        base = open_vectors(args.base, verify=not args.no_verify)
        queries_map = open_vectors(args.queries, verify=not args.no_verify)
        if queries_map.shape[1] != base.shape[1]:
            raise InputError(
                f"{args.queries}: dimension {queries_map.shape[1]}, "
                f"but {args.base} has dimension {base.shape[1]}"
            )
        if args.k > base.shape[0]:
            raise InputError(f"--k {args.k} is more than the {base.shape[0]} base rows")
        truth = open_truth(args.truth, queries_map.shape[0], args.k, base.shape[0])
    except InputError as e:
        log(f"error: {e}")
        return 2
    # The queries are small: hold them in memory like the Rust loop does.
    queries = np.ascontiguousarray(queries_map, dtype=np.float32)
    log(f"{base.shape[0]} base rows x {base.shape[1]} dims, {len(queries)} queries, k={args.k}")

    # Largest thread count first, so the index kept for the queries is the one built with the
    # fewest threads: with one thread the graph (and so every recall figure) is reproducible.
    counts = sorted(set(args.threads), reverse=True)
    if args.skip_build_threads:
        counts = counts[:1]
    build_s: dict[str, float] = {}
    index = None
    for threads in counts:
        index = None
        gc.collect()  # one index in memory at a time, so peak RSS is that of one build
        index, seconds = build(hnswlib, base, threads)
        build_s[str(threads)] = round(seconds, 3)
        log(f"built with {threads} thread(s) in {seconds:.2f} s")

    runs = []
    for ef in args.efs:
        run = run_ef(index, queries, truth, args.k, ef)
        log(
            f"ef={ef}: recall@{args.k} {run[f'recall_at_{args.k}']:.4f}, "
            f"{run['qps']:.0f} QPS one at a time, {run['qps_batch']:.0f} QPS batch"
        )
        runs.append(run)

    good = [r["qps"] for r in runs if r[f"recall_at_{args.k}"] >= 0.95]
    # ru_maxrss is in KiB on Linux. It counts the mapped base file's pages that were read.
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = {
        "build_s": build_s,
        "peak_rss_bytes": peak_rss,
        "runs": runs,
        "qps_at_095": max(good) if good else None,
        "queried_index_build_threads": counts[-1],
        "rows": int(base.shape[0]),
        "dim": int(base.shape[1]),
        "queries": int(len(queries)),
        "k": args.k,
        "M": M,
        "ef_construction": EF_CONSTRUCTION,
        "hnswlib_version": metadata.version("hnswlib"),
        "numpy_version": np.__version__,
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
