"""One library searched from several Python threads while another process appends to it: every
search succeeds and answers from the version the object opened; the GIL is released, so the
threads' searches and the writer overlap."""

import subprocess
import sys
import threading

import segue
from conftest import AUDIO_DIM, TEXT_DIM, queries
from test_planner import without_timing

APPEND = "import segue, sys; segue.ingest(sys.argv[1], sys.argv[2], on_duplicate='skip')"


def test_threads_search_one_library_while_another_process_appends(fresh_library, workdir):
    lib = segue.Library.open(fresh_library)
    planner = lib.planner()
    qs = queries(30, seed=11)
    expected = [lib.search(vector=q, k=5).column("track_id").to_pylist() for q in qs]
    expected_batch = lib.search_batch(qs, k=5)
    more = workdir / "append.parquet"
    if not more.exists():
        segue.generate_catalog(more, tracks=6000, audio_dim=AUDIO_DIM, text_dim=TEXT_DIM, seed=12)

    writer = subprocess.Popen([sys.executable, "-c", APPEND, str(fresh_library), str(more)])
    failures, rounds, during_write = [], [0, 0, 0], [0]

    def searcher(i):
        try:
            while rounds[i] < 2 or (writer.poll() is None and rounds[i] < 500):
                for q, ids in zip(qs, expected):
                    assert lib.search(vector=q, k=5).column("track_id").to_pylist() == ids
                assert lib.search_batch(qs, k=5, threads=2).equals(expected_batch)
                if writer.poll() is None:
                    during_write[0] += 1
                rounds[i] += 1
        except Exception as e:  # reported by the main thread
            failures.append(e)

    workers = [threading.Thread(target=searcher, args=(i,)) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    assert writer.wait(timeout=300) == 0
    assert not failures, failures
    assert all(r >= 2 for r in rounds), rounds
    assert during_write[0] > 0, "no search overlapped the writer"
    assert planner.version == lib.version

    newer = lib.reopen()
    assert newer.version == lib.version + 1
    # Synthetic ids are numbered from 0: the first 1500 were in the library already.
    assert newer.rows == 6000
    assert newer.verify()["verified"]
    # The old object still answers from its version.
    assert lib.search(vector=qs[0], k=5).column("track_id").to_pylist() == expected[0]


def test_threads_share_a_planner(lib, videos_file):
    import json

    videos = [json.loads(line) for line in videos_file.read_text().splitlines()]
    planner = lib.planner()
    expected = [without_timing(planner.plan(v)) for v in videos]
    results, failures = {}, []

    def plan(i):
        try:
            results[i] = without_timing(planner.plan(videos[i]))
        except Exception as e:
            failures.append(e)

    workers = [threading.Thread(target=plan, args=(i,)) for i in range(len(videos))]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not failures, failures
    assert [results[i] for i in range(len(videos))] == expected
