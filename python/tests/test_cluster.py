"""The sharded deployment (`segue.cluster`) on one machine.

The first tests run in-process on a local folder: merging rules, the shard hash, bad input. The
system test starts moto's S3 server and a two-node Ray cluster, both on loopback only (checked),
ingests a 100k-track catalogue into S3 with 4 concurrent writers, builds 4 shards and a
single-library reference from one pinned version, and shows that the router answers as the
single library does, survives a killed shard server, and never mixes cluster versions while a
new one is published. Everything it starts, it stops.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import segue

lance = pytest.importorskip("lance", reason="segue.cluster needs pylance (scripts/python-dev)")

from segue.cluster import (  # noqa: E402
    CatalogueOfRecord,
    ClusterManifest,
    Router,
    build_and_publish,
    build_shard,
    merge_hits,
    shard_of,
)
from segue.cluster.shards import GLOBAL_ROWS_FILE, read_shard  # noqa: E402

AUDIO_DIM = 32
TEXT_DIM = 16
SHARDS = 4


def exact_ids(table):
    return table.column("track_id").to_pylist()


# -- in-process: the rules a sharded answer rests on -------------------------------------------


def test_the_shard_of_a_track_is_a_stable_hash():
    # Golden values: a change would silently move tracks to other shards of a live cluster.
    assert [shard_of(f"track-{i}", 4) for i in range(8)] == [3, 2, 2, 0, 0, 3, 3, 3]
    counts = np.bincount([shard_of(f"t{i}", 4) for i in range(4000)], minlength=4)
    assert counts.min() > 900, counts


def test_merging_breaks_score_ties_by_global_row():
    def hits(rows, scores):
        return pa.table(
            {
                "rank": pa.array(range(1, len(rows) + 1), pa.uint32()),
                "track_id": [f"t{r}" for r in rows],
                "score": pa.array(scores, pa.float32()),
                "global_row": pa.array(rows, pa.uint64()),
            }
        )

    merged = merge_hits([hits([9, 4], [0.5, 0.25]), hits([2, 7], [0.5, 0.25])], 3)
    assert merged.column("global_row").to_pylist() == [2, 9, 4]
    assert merged.column("rank").to_pylist() == [1, 2, 3]


@pytest.fixture(scope="module")
def local_cluster(tmp_path_factory):
    """3000 tracks in a local catalogue of record, 4 shards and a reference, served in-process."""
    root = tmp_path_factory.mktemp("cluster-local")
    catalog = root / "catalog.parquet"
    segue.generate_catalog(catalog, tracks=3000, audio_dim=AUDIO_DIM, text_dim=TEXT_DIM, seed=3)
    record = CatalogueOfRecord(str(root / "tracks.lance"))
    version = record.ingest([catalog], shards=SHARDS, use_ray=False)["version"]
    # The reference first: the videos the soundtrack model is fitted on come from its tracks,
    # and every shard is fitted on the same videos.
    build_shard(record, version, None, root / "reference")
    videos = fitted_videos(root / "reference" / "library", root / "videos.jsonl", seed=4)
    cluster = str(root / "cluster")
    build_and_publish(
        record, version, cluster, work_dir=root, use_ray=False, fit_videos=str(videos)
    )
    router = Router(cluster, cache_dir=root / "cache", use_ray=False)
    router.publish()
    reference = segue.Library.open(root / "reference" / "library")
    yield record, router, reference
    router.close()


def fitted_videos(library, path, seed):
    """Writes seeded videos near ``library``'s tracks and fits the library on them."""
    segue.generate_videos(path, library, count=8, seed=seed, min_segments=6, max_segments=14)
    segue.fit(library, path)
    return path


def plan_digest(plan):
    """What must match between a sharded plan and the single library's: every segment's
    action, track, offset and reward to the bit, and the totals."""
    return (
        [(s["action"], s["track_id"], s["offset"], s["reward"]) for s in plan["segments"]],
        plan["total_reward"],
        plan["switches"],
    )


def videos_of(library):
    """The fitted videos of ``local_cluster`` (written beside its reference library)."""
    return (Path(library).parent.parent / "videos.jsonl").read_text().splitlines()


def test_in_process_shards_answer_as_one_library(local_cluster):
    record, router, reference = local_cluster
    assert record.dataset().count_rows() == 3000
    rng = np.random.default_rng(5)
    for q in rng.standard_normal((5, AUDIO_DIM)).astype(np.float32):
        for flt in (None, "bpm >= 90 AND bpm <= 130"):
            want = reference.search(vector=q, k=20, exact=True, filter=flt)
            got = router.search(vector=q, k=20, exact=True, filter=flt)
            assert exact_ids(got) == exact_ids(want)
            assert got.column("score").to_pylist() == want.column("score").to_pylist()
            assert got.column("global_row").to_pylist() == want.column("row").to_pylist()
    for words in ("piano", 'tag:"mood:calm"', "calm strings"):
        want = reference.search(tags=words, k=25)
        got = router.search(tags=words, k=25)
        assert exact_ids(got) == exact_ids(want), words
        assert got.column("score").to_pylist() == want.column("score").to_pylist(), words


def test_text_statistics_are_summed_and_checked(local_cluster):
    _, _, reference = local_cluster
    one = reference.text_statistics("calm piano")
    assert one["docs"] == 3000 and set(one["doc_freqs"]) >= {"caption:calm", "caption:piano"}
    two = segue.sum_text_statistics([one, one])
    assert two["docs"] == 6000
    assert two["doc_freqs"]["caption:piano"] == 2 * one["doc_freqs"]["caption:piano"]
    # The library's own statistics give the library's own scores.
    plain = reference.search(tags="calm piano", k=10)
    scored = reference.search(tags="calm piano", k=10, text_statistics=one)
    assert plain.column("score").to_pylist() == scored.column("score").to_pylist()
    with pytest.raises(segue.BadInputError, match="no count for"):
        reference.search(tags="calm drums", text_statistics=one)
    with pytest.raises(segue.BadInputError, match="text_statistics"):
        reference.search(tags="calm", text_statistics={"docs": "many"})
    with pytest.raises(segue.BadInputError, match="no words"):
        reference.search(vector=np.ones(AUDIO_DIM, dtype=np.float32), text_statistics=one)


def test_a_sharded_search_refuses_what_it_cannot_merge(local_cluster):
    _, router, _ = local_cluster
    q = np.ones(AUDIO_DIM, dtype=np.float32)
    with pytest.raises(ValueError, match="max_per_artist"):
        router.search(vector=q, max_per_artist=2)
    with pytest.raises(ValueError, match="hybrid"):
        router.search(vector=q, tags="piano")
    with pytest.raises(ValueError, match="like"):
        router.search(like="t1")
    # A filter alone browses: the first k allowed tracks in global-row order, as one library.
    want = local_cluster[2].search(filter="bpm >= 100", k=15)
    assert exact_ids(router.search(filter="bpm >= 100", k=15)) == exact_ids(want)


@pytest.mark.parametrize(
    "options",
    [
        {"policy": "greedy-all"},
        {"policy": "beam"},
        {"policy": "greedy-aligned", "filter": "bpm >= 90 AND bpm <= 140"},
        {"policy": "beam", "max_per_artist": 1, "candidates": 16},
        {"policy": "random", "seed": 3},
        {"policy": "greedy-all", "diversify": "mmr:0.5", "motion_energy": 0.3},
    ],
)
def test_in_process_plans_are_the_single_librarys_with_exact_candidates(local_cluster, options):
    _, router, reference = local_cluster
    planner = reference.planner()
    videos = videos_of(reference.path)
    for video in videos[:4]:
        want = planner.plan(video, exact_candidates=True, arrange=False, **options)
        got = router.plan(video, exact_candidates=True, **options)
        assert plan_digest(got) == plan_digest(want), options
        assert [s["row"] for s in got["segments"]] == [s["row"] for s in want["segments"]]
        assert got["cluster_version"] == router.current
        assert {s["shard"] for s in got["segments"]} <= set(range(SHARDS))


def test_a_sharded_batch_keeps_exclusions_and_never_repeats_a_track(local_cluster):
    _, router, reference = local_cluster
    videos = videos_of(reference.path)
    first = router.plan(videos[0], exact_candidates=True)
    banned = [s["track_id"] for s in first["segments"]]
    plans = router.plan_batch(
        videos, exact_candidates=True, exclude_ids=banned, no_repeat_across_videos=True
    )
    placed = [s["track_id"] for p in plans for s in p["segments"] if s["action"] == "new"]
    assert len(placed) == len(set(placed))
    assert not set(placed) & set(banned)
    want = reference.planner().plan_batch(
        videos,
        exact_candidates=True,
        exclude_ids=banned,
        no_repeat_across_videos=True,
        arrange=False,
    )
    assert [plan_digest(p) for p in plans] == [plan_digest(p) for p in want]


def test_a_sharded_batch_reads_videos_as_the_single_library_does(local_cluster, tmp_path):
    _, router, reference = local_cluster
    planner = reference.planner()
    video = json.loads(videos_of(reference.path)[0])
    path = tmp_path / "two.jsonl"
    path.write_text("\n".join(videos_of(reference.path)[:2]) + "\n")
    # One pretty-printed video as a string, a dict, and a JSON Lines file.
    for given in [json.dumps(video, indent=2), video, str(path)]:
        got = router.plan_batch(given, exact_candidates=True)
        want = planner.plan_batch(given, exact_candidates=True, arrange=False)
        assert [plan_digest(p) for p in got] == [plan_digest(p) for p in want]
    for bad in [[], 42]:
        with pytest.raises(segue.BadInputError):
            planner.plan_batch(bad)
        with pytest.raises(segue.BadInputError):
            router.plan_batch(bad)


def test_a_sharded_plan_refuses_what_it_cannot_do(local_cluster):
    _, router, reference = local_cluster
    video = videos_of(reference.path)[0]
    with pytest.raises(segue.BadInputError, match="trained policies"):
        router.plan(video, policy="policy:model.onnx")
    with pytest.raises(segue.BadInputError, match="candidates per segment"):
        router.plan(video, candidates=0)
    with pytest.raises(segue.BadInputError):
        router.plan({"id": "v", "segments": [{"start": 0, "end": 1, "caption": "calm"}]})
    with pytest.raises(segue.BadInputError, match="no shard has a track"):
        router.plan(video, filter="bpm > 100000")
    with pytest.raises(segue.BadInputError):
        reference.planner().plan(video, filter="bpm > 100000")


def test_a_damaged_shard_copy_is_refused(local_cluster, tmp_path):
    record, router, _ = local_cluster
    version = record.dataset().version
    folder = tmp_path / "shard"
    build_shard(record, version, 1, folder)
    read_shard(folder)
    rows = np.load(folder / GLOBAL_ROWS_FILE)
    rows[0] += 1
    np.save(folder / GLOBAL_ROWS_FILE, rows)
    with pytest.raises(ValueError, match="checksum mismatch"):
        read_shard(folder)
    manifest = ClusterManifest(str(tmp_path / "c"))
    with pytest.raises(ValueError, match="every shard 0..S-1"):
        manifest.commit([{"shard": 1, "shards": 4, "record_version": 1}])


def test_a_bad_catalogue_part_commits_nothing(local_cluster, tmp_path):
    record, _, _ = local_cluster
    before = record.dataset().version
    bad = tmp_path / "bad.csv"
    bad.write_text("track_id,duration_s\nok-1,120\nbad-2,not-a-number\n")
    with pytest.raises(segue.BadInputError, match="duration_s"):
        record.ingest([bad], shards=SHARDS, use_ray=False)
    assert record.dataset().version == before


def test_an_ingest_with_another_shard_count_commits_nothing(local_cluster, tmp_path):
    record, _, _ = local_cluster
    before = record.dataset().version
    part = tmp_path / "part.parquet"
    segue.generate_catalog(part, tracks=20, audio_dim=AUDIO_DIM, text_dim=TEXT_DIM, seed=8)
    with pytest.raises(ValueError, match=f"has {SHARDS} shards, not 2"):
        record.ingest([part], shards=2, use_ray=False)
    assert record.dataset().version == before


# -- the system test: moto's S3 and a two-node Ray cluster on loopback ---------------------------

# Ray resolves 127.0.0.1 to the machine's address unless it is told it is not part of a
# cluster of machines; the flag is read when Ray is imported.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
ray = pytest.importorskip("ray", reason="the system test needs ray (scripts/python-dev)")

SYSTEM_TRACKS = 100_000
SYSTEM_LIMIT_S = 900
LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1", "::1"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """Every process below ``pid`` (Ray's and moto's servers are started by this process)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def listening_addresses(pids):
    """(pid, address, port) of every TCP socket the processes ``pids`` listen on."""
    inodes = {}
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = pid
        except OSError:
            continue
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:
                continue
            raw, port = local.split(":")
            packed = bytes.fromhex(raw)
            # /proc prints each 32-bit word in host (little-endian) order.
            words = b"".join(packed[i : i + 4][::-1] for i in range(0, len(packed), 4))
            family = socket.AF_INET if width == 8 else socket.AF_INET6
            found.append((inodes[inode], socket.inet_ntop(family, words), int(port, 16)))
    return found


@pytest.fixture(scope="module")
def deadline():
    """Bounds the system test: past the limit, the running step fails and the fixtures stop
    what they started."""

    def expire(*_):
        raise TimeoutError(f"the cluster system test ran past {SYSTEM_LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(SYSTEM_LIMIT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def s3(deadline):
    """moto's S3 server on 127.0.0.1, a bucket, and Lance's storage options for it."""
    pytest.importorskip("moto", reason="the system test needs moto (scripts/python-dev)")
    import boto3

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        options = {
            "aws_endpoint": endpoint,
            "aws_access_key_id": "segue",
            "aws_secret_access_key": "segue",
            "aws_region": "us-east-1",
            "allow_http": "true",
        }
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="segue",
            aws_secret_access_key="segue",
            region_name="us-east-1",
        ).create_bucket(Bucket="segue")
        yield server, options
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def ray_cluster(deadline):
    """A head and a second node, one CPU each, on loopback."""
    from ray.cluster_utils import Cluster

    temp_dir = tempfile.mkdtemp(prefix="segue-ray-")
    # Ray records the cluster's address in <RAY_TMPDIR>/ray/ray_current_cluster without
    # creating that folder (a fresh machine has no /tmp/ray): keep it in this test's own folder.
    os.makedirs(os.path.join(temp_dir, "ray"))
    previous_tmpdir = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = temp_dir
    cluster = None
    try:
        cluster = Cluster(
            initialize_head=True,
            connect=False,
            head_node_args={
                "num_cpus": 1,
                "node_ip_address": "127.0.0.1",
                "include_dashboard": False,
                # Short: Ray's socket paths live under it, and a socket path must fit 107 bytes.
                "temp_dir": temp_dir,
            },
        )
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        ray.init(address=cluster.address, log_to_driver=False)
        yield cluster
    finally:
        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()
        if previous_tmpdir is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = previous_tmpdir
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def system(s3, ray_cluster, tmp_path_factory):
    moto_server, options = s3
    root = tmp_path_factory.mktemp("cluster-system")
    catalog = root / "catalog.parquet"
    segue.generate_catalog(
        catalog, tracks=SYSTEM_TRACKS + 1000, audio_dim=AUDIO_DIM, text_dim=TEXT_DIM, seed=11
    )
    whole = pq.read_table(catalog)
    quarter = SYSTEM_TRACKS // 4
    parts = []
    for i in range(4):
        parts.append(root / f"part-{i}.parquet")
        pq.write_table(whole.slice(i * quarter, quarter), parts[-1])
    late = root / "late.parquet"
    pq.write_table(whole.slice(SYSTEM_TRACKS, 1000), late)

    record = CatalogueOfRecord("s3://segue/tracks.lance", options)
    # Four writers at once, each its own Ray task and its own commit: Lance resolves the races.
    results, errors = [None] * 4, []

    def write(i):
        try:
            results[i] = record.ingest([parts[i]], shards=SHARDS)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    writers = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert not errors, errors
    version = record.dataset().version
    cluster_uri = "s3://segue/cluster"
    build_shard(record, version, None, root / "reference")
    videos = fitted_videos(root / "reference" / "library", root / "videos.jsonl", seed=12)
    build_and_publish(record, version, cluster_uri, work_dir=root, fit_videos=str(videos))
    router = Router(cluster_uri, options, cache_dir=root / "cache")
    router.publish()
    reference = segue.Library.open(root / "reference" / "library")
    try:
        yield {
            "record": record,
            "version": version,
            "router": router,
            "reference": reference,
            "moto": moto_server,
            "late": late,
            "root": root,
            "cluster_uri": cluster_uri,
        }
    finally:
        router.close()


def test_every_server_started_listens_on_loopback_only(system):
    pids = descendants(os.getpid())
    assert system["moto"].pid in pids
    listening = listening_addresses(pids)
    assert len({pid for pid, _, _ in listening}) >= 3, listening  # moto, GCS, two raylets
    outside = [entry for entry in listening if entry[1] not in LOOPBACK]
    assert not outside, f"listening beyond loopback: {outside}"
    assert len(ray.nodes()) == 2


def test_no_row_is_lost_by_concurrent_writers(system):
    table = system["record"].slice(system["version"])
    assert table.num_rows == SYSTEM_TRACKS
    assert len(set(table.column("track_id").to_pylist())) == SYSTEM_TRACKS
    rows = table.column("_rowid").to_numpy()
    assert len(np.unique(rows)) == SYSTEM_TRACKS
    # Each writer committed its own version on top of the others'.
    assert system["version"] >= 5


def queries(n, seed):
    return np.random.default_rng(seed).standard_normal((n, AUDIO_DIM)).astype(np.float32)


@pytest.mark.parametrize("flt", [None, "bpm >= 90 AND bpm <= 110", "has_vocals = false"])
def test_exact_search_is_the_single_library_answer(system, flt):
    router, reference = system["router"], system["reference"]
    for q in queries(10, seed=21):
        want = reference.search(vector=q, k=10, exact=True, filter=flt)
        got = router.search(vector=q, k=10, exact=True, filter=flt)
        assert exact_ids(got) == exact_ids(want)
        assert got.column("global_row").to_pylist() == want.column("row").to_pylist()
        assert got.column("score").to_pylist() == want.column("score").to_pylist()


def test_graph_search_recall_matches_the_single_library(system):
    router, reference = system["router"], system["reference"]
    sharded, single = [], []
    for q in queries(50, seed=22):
        truth = set(exact_ids(reference.search(vector=q, k=10, exact=True)))
        single.append(len(truth & set(exact_ids(reference.search(vector=q, k=10)))) / 10)
        sharded.append(len(truth & set(exact_ids(router.search(vector=q, k=10)))) / 10)
    assert np.mean(sharded) >= np.mean(single) - 0.02, (np.mean(sharded), np.mean(single))


def test_bm25_rankings_are_the_single_library_ranking(system):
    router, reference = system["router"], system["reference"]
    tags = reference.search(vector=queries(1, seed=23)[0], k=30, fields=["tags"])
    words = sorted({t for ts in tags.column("tags").to_pylist() for t in ts})[:12]
    for query in [*[f'tag:"{w}"' for w in words], "piano strings", "calm AND piano", '"mood calm"']:
        want = reference.search(tags=query, k=20)
        got = router.search(tags=query, k=20)
        assert exact_ids(got) == exact_ids(want), query
        assert got.column("score").to_pylist() == want.column("score").to_pylist(), query


@pytest.mark.parametrize("policy", ["greedy-all", "beam"])
def test_plans_are_the_single_librarys_with_exact_candidates(system, policy):
    router, reference = system["router"], system["reference"]
    planner = reference.planner()
    for video in videos_of(reference.path)[:3]:
        for flt in (None, "has_vocals = false"):
            want = planner.plan(
                video, policy=policy, exact_candidates=True, filter=flt, arrange=False
            )
            got = router.plan(video, policy=policy, exact_candidates=True, filter=flt)
            assert plan_digest(got) == plan_digest(want), (policy, flt)
            assert [s["row"] for s in got["segments"]] == [s["row"] for s in want["segments"]]


def test_a_killed_shard_server_is_restarted_and_the_query_answers_the_same(system):
    router = system["router"]
    q = queries(1, seed=24)[0]
    before = router.search(vector=q, k=10, exact=True)
    victim = router.servers()[2][0]
    ray.kill(victim, no_restart=False)
    after = router.search(vector=q, k=10, exact=True)
    assert exact_ids(after) == exact_ids(before)
    assert ray.get(victim.ping.remote(), timeout=60)["shard"] == 2


def test_a_version_published_during_queries_never_mixes_versions(system):
    router, record = system["router"], system["record"]
    old = router.current
    answers, stop, failures = [], threading.Event(), []
    qs = queries(8, seed=25)

    def stream():
        i = 0
        while not stop.is_set():
            try:
                answers.append(router.search(vector=qs[i % len(qs)], k=10, exact=True))
            except BaseException as e:  # noqa: BLE001 - reported below
                failures.append(e)
                return
            i += 1

    reader = threading.Thread(target=stream)
    reader.start()
    try:
        version = record.ingest([system["late"]], shards=SHARDS)["version"]
        build_and_publish(record, version, system["cluster_uri"], work_dir=system["root"])
        new = router.publish()
        time.sleep(1.0)
    finally:
        stop.set()
        reader.join(timeout=120)
    assert not failures, failures
    assert new != old
    seen = []
    for table in answers:
        versions = set(table.column("cluster_version").to_pylist())
        assert len(versions) == 1, f"a response mixed cluster versions {versions}"
        seen.append(versions.pop())
    assert seen[0] == old and seen[-1] == new, (seen[0], seen[-1])
    assert seen == sorted(seen), "a response came from the old version after the switch"
    # The old version's servers stop once no request holds it.
    assert router.versions_loaded() == [new]
    manifest = ClusterManifest(system["cluster_uri"], record.storage_options)
    rows = sum(r["rows"] for r in manifest.shards(new))
    assert rows == SYSTEM_TRACKS + 1000
