"""The binding answers as the Rust API does on the same library: the same hits and scores as
`segue search --json` (the facade's `Searcher::search`), and the same plan as
`segue soundtrack --json`."""

import json
import subprocess

import numpy as np
import pytest

from conftest import queries, segue_binary


def rust(*args):
    out = subprocess.run([segue_binary(), *map(str, args), "--json"], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    "options, flags",
    [
        ({"k": 10}, ["--k", "10"]),
        ({"k": 7, "exact": True}, ["--k", "7", "--exact"]),
        ({"k": 5, "filter": "bpm >= 100"}, ["--k", "5", "--filter", "bpm >= 100"]),
        ({"k": 5, "ef": 16}, ["--k", "5", "--ef", "16"]),
    ],
)
def test_vector_searches_equal_the_rust_apis(lib, library_path, tmp_path, options, flags):
    for i, q in enumerate(queries(3, seed=21)):
        vector_file = tmp_path / f"q{i}.json"
        vector_file.write_text(json.dumps([float(x) for x in q]))
        expected = rust("search", "--library", library_path, "--vector-file", vector_file, *flags)
        got = lib.search(vector=q, **options).to_pylist()
        assert [h["track_id"] for h in got] == [h["track_id"] for h in expected["hits"]]
        np.testing.assert_allclose([h["score"] for h in got],
                                   [h["score"] for h in expected["hits"]], rtol=1e-6)
        batch = lib.search_batch(q[None, :], **options).column("track_id").to_pylist()
        assert batch == [h["track_id"] for h in got]


def test_like_and_word_searches_equal_the_rust_apis(lib, library_path):
    seed = lib.search(vector=queries(1)[0], k=2).column("track_id").to_pylist()
    expected = rust("search", "--library", library_path, "--like", seed[0], "--unlike", seed[1],
                    "--k", "6")
    got = lib.search(like=seed[0], unlike=seed[1], k=6).to_pylist()
    assert [h["track_id"] for h in got] == [h["track_id"] for h in expected["hits"]]
    tag = next(t for h in lib.search(vector=queries(1)[0], k=30).to_pylist()
               for t in h["tags"] if t.startswith("mood:")).split(":", 1)[1]
    expected = rust("search", "--library", library_path, "--tags", tag, "--k", "6")
    got = lib.search(tags=tag, k=6).to_pylist()
    assert [h["track_id"] for h in got] == [h["track_id"] for h in expected["hits"]]


def test_a_plan_equals_the_rust_apis(lib, library_path, videos_file, tmp_path):
    video = json.loads(videos_file.read_text().splitlines()[0])
    one = tmp_path / "one.json"
    one.write_text(json.dumps(video))
    expected = rust("soundtrack", "--library", library_path, "--video", one, "--policy", "beam")
    got = lib.planner().plan(video, policy="beam")
    assert [s["action"] for s in got["segments"]] == [s["action"] for s in expected["segments"]]
    assert got["total_reward"] == pytest.approx(expected["total_reward"], rel=1e-9)
