"""Throughput and latency of a sharded Segue (segue.cluster) against shards and replicas, on one
machine, with the per-shard figures a sizing model needs.

For each shard count S: the catalogue is ingested into a catalogue of record with S shards (one
Ray task per part), the shards are built and published, and for each replica count R a router
serves it from S x R Ray actors. C client threads then send graph searches (k = 10, default ef)
for a fixed time; the table gives queries per second, p50 and p99 latency, and recall@10 of the
sharded answer against the exact single-library answer. Per shard: rows, disk bytes, the
actor's resident memory, and the single-thread latency of the same search on the shard's
library in-process (no Ray), which is what a shard costs wherever it runs.

With ``--plan-videos N``, every shard and the single library are fitted on N generated videos,
and each video is planned at the router (one request at a time) and by the single library's
planner in-process: milliseconds per plan for greedy-all and beam, with candidates from the
graphs and from exact scans, and how many plans equal the single library's.

Usage (the package built with the search-bench profile, see benches/RESULTS.md):
    .venv/bin/python benches/python/cluster_bench.py --tracks 100000 --shards 1,2,4 \
        --replicas 1,2 --clients 4 --seconds 20 --out benches/results/cluster/run.json
"""

import argparse
import json
import os
import platform
import shutil
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback only

import numpy as np  # noqa: E402
import ray  # noqa: E402

import segue  # noqa: E402
from segue.cluster import CatalogueOfRecord, Router, build_and_publish, build_shard  # noqa: E402


# Hits carry track ids and scores only: the search path, without the Lance read of display
# fields (which a service does once for the final k).
FIELDS = []


def percentile_ms(latencies, q):
    return float(np.percentile(np.asarray(latencies) * 1000.0, q))


def closed_loop(router, queries, clients, seconds):
    """C threads, each sending the next query as soon as its last one returned."""
    latencies, stop, lock = [], threading.Event(), threading.Lock()

    def client(offset):
        i = offset
        mine = []
        while not stop.is_set():
            q = queries[i % len(queries)]
            t = time.perf_counter()
            router.search(vector=q, k=10, fields=FIELDS)
            mine.append(time.perf_counter() - t)
            i += clients
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, latencies


def single_thread_latency(library, queries):
    """p50, p99 and p99.9 (ms) of one search at a time on ``library`` in this process."""
    library.search(vector=queries[0], k=10, fields=FIELDS)
    times = []
    for q in queries:
        t = time.perf_counter()
        library.search(vector=q, k=10, fields=FIELDS)
        times.append(time.perf_counter() - t)
    return {f"p{q}_ms": percentile_ms(times, q) for q in (50, 99, 99.9)}


def plan_figures(router, planner, videos, shards):
    """Per policy and candidate search: median ms per plan at the router and in the single
    library, and how many of the router's plans are the single library's."""
    out = []
    # Warm-up: each shard server opens its planner (reads its tracks' features) on first use.
    router.plan(videos[0], policy="greedy-all")
    planner.plan(videos[0], policy="greedy-all")
    for policy in ("greedy-all", "beam"):
        for exact in (False, True):
            routed, single, same = [], [], 0
            for video in videos:
                t = time.perf_counter()
                want = planner.plan(video, policy=policy, exact_candidates=exact)
                single.append(time.perf_counter() - t)
                t = time.perf_counter()
                got = router.plan(video, policy=policy, exact_candidates=exact)
                routed.append(time.perf_counter() - t)
                same += [(s["track_id"], s["reward"]) for s in got["segments"]] == [
                    (s["track_id"], s["reward"]) for s in want["segments"]]
            row = {
                "shards": shards, "policy": policy, "exact_candidates": exact,
                "router_ms": percentile_ms(routed, 50), "single_ms": percentile_ms(single, 50),
                "router_p99_ms": percentile_ms(routed, 99), "identical": same,
                "videos": len(videos),
            }
            print(json.dumps(row), flush=True)
            out.append(row)
    return out


def near_tracks(library, rng, n, dim):
    rows = rng.choice(library.rows, size=n, replace=False)
    noisy = library.vectors(rows.tolist()) + rng.normal(0, 0.3 / np.sqrt(dim), (n, dim))
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracks", type=int, default=100_000)
    ap.add_argument("--audio-dim", type=int, default=128)
    ap.add_argument("--text-dim", type=int, default=64)
    ap.add_argument("--shards", default="1,2,4")
    ap.add_argument("--replicas", default="1,2")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--queries", type=int, default=200, help="for recall and the load")
    ap.add_argument("--latency-queries", type=int, default=3000,
                    help="for the single-thread latency quantiles of a shard")
    ap.add_argument("--plan-videos", type=int, default=0,
                    help="videos to plan at the router (0: no planning figures)")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    args = ap.parse_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="segue-cluster-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    ray_tmp = tempfile.mkdtemp(prefix="segue-ray-")
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, _temp_dir=ray_tmp,
             log_to_driver=False)
    results = {
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.processor()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "tracks": args.tracks,
        "dims": [args.audio_dim, args.text_dim],
        "clients": args.clients,
        "seconds": args.seconds,
        "runs": [],
        "shards": [],
        "plans": [],
    }
    try:
        catalog = work / "catalog.parquet"
        t = time.perf_counter()
        segue.generate_catalog(catalog, tracks=args.tracks, audio_dim=args.audio_dim,
                               text_dim=args.text_dim, seed=5)
        print(f"catalogue: {args.tracks} tracks in {time.perf_counter() - t:.1f} s", flush=True)
        rng = np.random.default_rng(9)
        queries = latency_queries = None
        reference = None
        for shards in [int(s) for s in args.shards.split(",")]:
            record = CatalogueOfRecord(str(work / f"record-{shards}.lance"))
            t = time.perf_counter()
            version = record.ingest([catalog], shards=shards)["version"]
            ingest_s = time.perf_counter() - t
            cluster = str(work / f"cluster-{shards}")
            if reference is None:
                build_shard(record, version, None, work / "reference")
                videos_path = None
                if args.plan_videos:
                    videos_path = work / "videos.jsonl"
                    segue.generate_videos(videos_path, work / "reference" / "library",
                                          count=args.plan_videos, seed=13)
                    segue.fit(work / "reference" / "library", videos_path)
                    videos = videos_path.read_text().splitlines()
                reference = segue.Library.open(work / "reference" / "library")
                # Queries near the catalogue's tracks (a stored vector plus noise), as users'
                # queries are: random directions in 128 dimensions are near no track at all.
                queries = near_tracks(reference, rng, args.queries, args.audio_dim)
                latency_queries = near_tracks(reference, rng, args.latency_queries, args.audio_dim)
                truth = [set(reference.search(vector=q, k=10, exact=True)
                             .column("track_id").to_pylist()) for q in queries]
                results["single_library"] = {
                    "rows": reference.rows, **single_thread_latency(reference, latency_queries)}
            t = time.perf_counter()
            build_and_publish(record, version, cluster, work_dir=work,
                              fit_videos=None if videos_path is None else str(videos_path))
            build_s = time.perf_counter() - t
            print(f"S={shards}: ingest {ingest_s:.1f} s, build+publish {build_s:.1f} s",
                  flush=True)
            for replicas in [int(r) for r in args.replicas.split(",")]:
                router = Router(cluster, cache_dir=work / f"cache-{shards}-{replicas}",
                                replicas=replicas)
                router.publish()
                try:
                    recall = np.mean([
                        len(truth[i] & set(router.search(vector=q, k=10)
                                           .column("track_id").to_pylist())) / 10
                        for i, q in enumerate(queries)
                    ])
                    closed_loop(router, queries, args.clients, 2.0)  # warm-up
                    qps, lat = closed_loop(router, queries, args.clients, args.seconds)
                    stats = ray.get([a.stats.remote() for rs in router.servers() for a in rs])
                    run = {
                        "shards": shards, "replicas": replicas, "qps": qps,
                        "p50_ms": percentile_ms(lat, 50), "p99_ms": percentile_ms(lat, 99),
                        "recall_at_10": float(recall),
                        "actor_rss_bytes": [s["rss_bytes"] for s in stats],
                        "ingest_s": ingest_s, "build_publish_s": build_s,
                    }
                    results["runs"].append(run)
                    print(json.dumps(run), flush=True)
                    if replicas == 1 and args.plan_videos:
                        results["plans"] += plan_figures(router, reference.planner(), videos,
                                                         shards)
                    if replicas == 1:
                        for row, s in zip(router.manifest.shards(router.current), stats):
                            local = segue.Library.open(
                                Path(router.cache_dir) / f"v{router.current:06d}"
                                / f"shard-{row['shard']:04d}" / "library")
                            results["shards"].append({
                                "shards": shards, "shard": row["shard"], "rows": row["rows"],
                                "disk_bytes": s["disk_bytes"], "rss_bytes": s["rss_bytes"],
                                **single_thread_latency(local, latency_queries),
                            })
                finally:
                    router.close()
    finally:
        ray.shutdown()
        shutil.rmtree(ray_tmp, ignore_errors=True)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(results, indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
