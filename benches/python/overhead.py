"""The Python binding's overhead against the Rust API, both timed in one session on the same
library and queries: single searches (per call), a batch of 1000, and the throughput of single
searches from 1 and 2 Python threads. The two sides take turns (`--rounds`, Rust then Python in
each round), so a change in the machine's load between them shows as a spread between rounds
instead of as a difference between the sides.

    .venv/bin/python benches/python/overhead.py --tracks 20000 --dim 128 \
        --rust-bin $CARGO_TARGET_DIR/debug/binding_overhead

The Rust side is `benches/src/bin/binding_overhead.rs`; build both in the same profile
(scripts/python-dev builds the extension in the debug profile, `cargo build -p segue-benches
--bin binding_overhead` the program). Prints one JSON object.
"""

import argparse
import json
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import segue


def median(xs):
    return sorted(xs)[len(xs) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tracks", type=int, default=20000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--singles", type=int, default=2000)
    p.add_argument("--batches", type=int, default=5)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--no-fields", action="store_true",
                   help="hits without track fields: the search and the binding alone")
    p.add_argument("--rounds", type=int, default=3,
                   help="Rust-then-Python turns; the figures are the medians over rounds")
    p.add_argument("--rust-bin", required=True)
    p.add_argument("--workdir", default=None, help="kept when given, else a temporary directory")
    a = p.parse_args()

    work = Path(a.workdir or tempfile.mkdtemp(prefix="segue-overhead-"))
    work.mkdir(parents=True, exist_ok=True)
    library = work / "lib"
    try:
        if not library.exists():
            catalog = work / "catalog.parquet"
            segue.generate_catalog(catalog, tracks=a.tracks, audio_dim=a.dim, seed=1)
            segue.ingest(library, catalog)
            catalog.unlink()
        queries = np.random.default_rng(3).standard_normal((a.batch, a.dim)).astype(np.float32)
        query_file = work / "queries.f32"
        queries.tofile(query_file)

        def rust_round():
            return json.loads(subprocess.run(
                [a.rust_bin, "--library", library, "--queries", query_file, "--dim", str(a.dim),
                 "--k", str(a.k), "--singles", str(a.singles), "--batches", str(a.batches),
                 "--batch", str(a.batch)] + (["--no-fields"] if a.no_fields else []),
                check=True, capture_output=True, text=True).stdout)

        lib = segue.Library.open(library)
        fields = {"fields": []} if a.no_fields else {}
        for q in queries[:200]:
            lib.search(vector=q, k=a.k, **fields)

        def python_round():
            singles = []
            for i in range(a.singles):
                q = queries[i % len(queries)]
                started = time.perf_counter()
                lib.search(vector=q, k=a.k, **fields)
                singles.append((time.perf_counter() - started) * 1e6)
            dict_singles = []
            for i in range(a.singles // 4):
                q = queries[i % len(queries)]
                started = time.perf_counter()
                lib.search(vector=q, k=a.k, output="dicts", **fields)
                dict_singles.append((time.perf_counter() - started) * 1e6)
            batches = []
            for _ in range(a.batches):
                started = time.perf_counter()
                lib.search_batch(queries, k=a.k, **fields)
                batches.append((time.perf_counter() - started) * 1e3)
            return {
                "single_us_median": median(singles),
                "single_us_mean": sum(singles) / len(singles),
                "single_dicts_us_median": median(dict_singles),
                "batch_ms_median": median(batches),
                "batch_ms_min": min(batches),
            }

        rounds = []
        for _ in range(a.rounds):
            rust, py = rust_round(), python_round()
            rounds.append({
                "rust": rust, "python": py,
                "single_extra_us": py["single_us_median"] - rust["single_us_median"],
                "batch_slower_pct": 100 * (py["batch_ms_median"] / rust["batch_ms_median"] - 1),
            })

        def throughput(threads):
            per_thread = a.singles // threads

            def work_(t):
                for i in range(per_thread):
                    lib.search(vector=queries[(t * per_thread + i) % len(queries)], k=a.k,
                               **fields)

            workers = [threading.Thread(target=work_, args=(t,)) for t in range(threads)]
            started = time.perf_counter()
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            return per_thread * threads / (time.perf_counter() - started)

        qps1, qps2 = throughput(1), throughput(2)
        print(json.dumps({
            "tracks": a.tracks, "dim": a.dim, "k": a.k, "batch": a.batch,
            "fields": not a.no_fields,
            "rounds": rounds,
            "single_extra_us": median([r["single_extra_us"] for r in rounds]),
            "batch_slower_pct": median([r["batch_slower_pct"] for r in rounds]),
            "qps_1_thread": qps1,
            "qps_2_threads": qps2,
            "two_thread_speedup": qps2 / qps1,
        }, indent=2))
    finally:
        if a.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
