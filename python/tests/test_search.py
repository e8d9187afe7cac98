"""Searching from Python: every kind of query, the output forms, batch search, and every kind
of bad argument."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import segue
from conftest import AUDIO_DIM, TEXT_DIM, queries

HIT_COLUMNS = ["rank", "track_id", "score", "row"]
SCALARS = [
    "title", "artist", "album", "duration_s", "bpm", "energy", "has_vocals", "tags", "key",
    "tempo_stability", "loudness_db",
]


def test_a_vector_search_returns_a_table_of_hits_best_first(lib):
    table = lib.search(vector=queries(1)[0], k=8)
    assert isinstance(table, pa.Table)
    assert table.column_names == HIT_COLUMNS + SCALARS
    assert table.num_rows == 8
    assert table.column("rank").to_pylist() == list(range(8))
    scores = table.column("score").to_pylist()
    assert scores == sorted(scores, reverse=True)
    assert table.schema.field("score").type == pa.float32()
    assert table.schema.field("tags").type == pa.list_(pa.string())
    assert len(set(table.column("track_id").to_pylist())) == 8


def test_hits_as_dicts_hold_the_same_values(lib):
    q = queries(1)[0]
    table = lib.search(vector=q, k=5)
    dicts = lib.search(vector=q, k=5, output="dicts")
    assert dicts == table.to_pylist()
    assert set(dicts[0]) == set(HIT_COLUMNS + SCALARS)


def test_dicts_match_pyarrow_for_every_column_type(lib):
    # Reranked hits add nullable columns; the caption may be null; tags are lists; a batch adds
    # the query column. The dicts are built without pyarrow and must equal its to_pylist().
    qs = queries(2)
    every = ["title", "artist", "album", "duration_s", "bpm", "energy", "has_vocals", "tags",
             "caption"]
    for kwargs in ({"fields": every}, {"fields": every, "diversify": "mmr:0.5"},
                   {"fields": [], "max_per_artist": 1}):
        table = lib.search(vector=qs[0], k=6, **kwargs)
        assert lib.search(vector=qs[0], k=6, output="dicts", **kwargs) == table.to_pylist()
        batch = lib.search_batch(qs, k=3, **kwargs)
        assert lib.search_batch(qs, k=3, output="dicts", **kwargs) == batch.to_pylist()
    with pytest.raises(ValueError, match="unknown output"):
        lib.search(vector=qs[0], k=3, output="rows")


def test_the_space_is_told_by_the_dimension_or_given(lib):
    text_q = queries(1, dim=TEXT_DIM)[0]
    assert lib.search(vector=text_q, k=3).num_rows == 3
    assert lib.search(vector=text_q, k=3, space="text").num_rows == 3
    with pytest.raises(segue.BadInputError, match="dimension"):
        lib.search(vector=text_q, space="audio")


def test_exact_search_is_the_ground_truth_the_graph_approaches(lib):
    q = queries(1, seed=3)[0]
    exact = lib.search(vector=q, k=10, exact=True).column("track_id").to_pylist()
    graph = lib.search(vector=q, k=10, ef=200).column("track_id").to_pylist()
    assert len(set(exact) & set(graph)) >= 8
    # The exact scores are the dot products of unit vectors: a hit's score is at most 1.
    assert max(lib.search(vector=q, exact=True).column("score").to_pylist()) <= 1.0001


def test_like_tags_filter_and_fields(lib):
    seed_ids = lib.search(vector=queries(1)[0], k=2).column("track_id").to_pylist()
    like = lib.search(like=seed_ids[0], k=5, fields=["title", "bpm"])
    assert like.column_names == HIT_COLUMNS + ["title", "bpm"]
    assert like.num_rows == 5
    assert seed_ids[0] not in like.column("track_id").to_pylist()  # the example itself
    unlike = lib.search(like=[seed_ids[0]], unlike=[seed_ids[1]], k=5, strategy="best-score")
    assert seed_ids[1] not in unlike.column("track_id").to_pylist()[:1]

    slow = lib.search(vector=queries(1)[0], k=20, filter="bpm < 100", exact=True)
    assert slow.num_rows > 0
    assert all(b < 100 for b in slow.column("bpm").to_pylist())

    tags = lib.search(vector=queries(1)[0], k=50, fields=["tags"], exact=True)
    mood = next(t for ts in tags.column("tags").to_pylist() for t in ts if t.startswith("mood:"))
    word = mood.split(":", 1)[1]
    words = lib.search(tags=word, k=5, fields=["tags"])
    assert words.num_rows > 0
    assert all(any(word in t for t in ts) for ts in words.column("tags").to_pylist())
    hybrid = lib.search(vector=queries(1)[0], tags=word, k=5)
    assert hybrid.num_rows == 5


def test_batch_search_answers_each_row_as_a_single_search(lib):
    qs = queries(12)
    batch = lib.search_batch(qs, k=4, filter="bpm >= 0")
    assert batch.column_names == ["query"] + HIT_COLUMNS + SCALARS
    assert batch.num_rows == 48
    for threads in (1, 3):
        again = lib.search_batch(qs, k=4, filter="bpm >= 0", threads=threads)
        assert again.equals(batch)
    for i, q in enumerate(qs):
        single = lib.search(vector=q, k=4, filter="bpm >= 0")
        rows = batch.filter(pc.equal(batch.column("query"), i)).drop_columns(["query"])
        assert rows.equals(single), i
    as_dicts = lib.search_batch(qs[:2], k=2, output="dicts")
    assert [d["query"] for d in as_dicts] == [0, 0, 1, 1]


@pytest.mark.parametrize(
    "vector, error, message",
    [
        (np.ones(AUDIO_DIM, dtype=np.float64), TypeError, "float32"),
        (np.ones(AUDIO_DIM, dtype=np.int32), TypeError, "float32"),
        ([1.0] * AUDIO_DIM, TypeError, "NumPy array"),
        ("not a vector", TypeError, "NumPy array"),
        (np.ones((2, AUDIO_DIM), dtype=np.float32), ValueError, "1-dimensional"),
        (np.ones((AUDIO_DIM * 2,), dtype=np.float32)[::2], ValueError, "C-contiguous"),
        (np.array([np.nan] + [1.0] * (AUDIO_DIM - 1), dtype=np.float32), ValueError, "non-finite"),
        (np.array([1.0] * (AUDIO_DIM - 1) + [np.inf], dtype=np.float32), ValueError, "index 31"),
        (np.zeros(AUDIO_DIM, dtype=np.float32), segue.BadInputError, "all zeros"),
        (np.ones(5, dtype=np.float32), segue.BadInputError, "dimension 5"),
        (np.ones(0, dtype=np.float32), ValueError, "empty"),
    ],
)
def test_a_bad_vector_is_a_clear_type_or_value_error(lib, vector, error, message):
    with pytest.raises(error, match=message):
        lib.search(vector=vector)


@pytest.mark.parametrize(
    "vectors, error, message",
    [
        (queries(3).astype(np.float64), TypeError, "float32"),
        (queries(1)[0], ValueError, "2-dimensional"),
        (np.asfortranarray(queries(3)), ValueError, "C-contiguous"),
        (queries(4)[:, :AUDIO_DIM // 2], ValueError, "C-contiguous"),
        (np.where(np.eye(3, AUDIO_DIM) > 0, np.nan, 1.0).astype(np.float32), ValueError, "row 0, column 0"),
        (np.ones((2, 7), dtype=np.float32), segue.BadInputError, "dimension 7"),
        (np.ones((0, AUDIO_DIM), dtype=np.float32), ValueError, "empty"),
    ],
)
def test_a_bad_batch_is_a_clear_type_or_value_error(lib, vectors, error, message):
    with pytest.raises(error, match=message):
        lib.search_batch(vectors)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "nothing to search for"),
        ({"like": "no-such-track"}, "no-such-track"),
        ({"like": ["a", "b"], "vector": queries(1)[0]}, "give one of"),
        ({"unlike": "a"}, "needs `like`"),
        ({"like": 3}, "`like` must be a string or a list of strings"),
        ({"vector": queries(1)[0], "filter": "bpm >>= 3"}, "bpm"),
        ({"vector": queries(1)[0], "filter": "no_such_column > 3"}, "no_such_column"),
        ({"vector": queries(1)[0], "k": 0}, "k must be"),
        ({"vector": queries(1)[0], "k": 10_001}, "k must be"),
        ({"vector": queries(1)[0], "ef": 0}, "ef"),
        ({"vector": queries(1)[0], "space": "video"}, "unknown space"),
        ({"vector": queries(1)[0], "fields": ["colour"]}, "unknown field"),
        ({"vector": queries(1)[0], "output": "csv"}, "unknown output"),
        ({"like": "x", "strategy": "mean"}, "unknown strategy"),
        ({"text": "calm piano"}, "text prompts need a text space"),
        ({"tags": "  "}, "empty"),
    ],
)
def test_a_bad_request_is_a_bad_input_error_saying_what_is_wrong(lib, kwargs, message):
    with pytest.raises(segue.BadInputError, match=message) as e:
        lib.search(**kwargs)
    assert isinstance(e.value, ValueError)


def test_a_bad_batch_option_is_a_bad_input_error(lib):
    with pytest.raises(segue.BadInputError, match="bpm"):
        lib.search_batch(queries(2), filter="bpm >>= 1")
    with pytest.raises(segue.BadInputError, match="k must be"):
        lib.search_batch(queries(2), k=0)
    with pytest.raises(TypeError):
        lib.search_batch(queries(2), vector=queries(1)[0])


def test_the_vectors_of_hits_come_out_as_numpy_and_explain_the_scores(lib):
    q = queries(1, seed=5)[0]
    hits = lib.search(vector=q, k=6, exact=True)
    vectors = lib.vectors(hits.column("row").to_pylist())
    assert vectors.dtype == np.float32 and vectors.shape == (6, AUDIO_DIM)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors @ (q / np.linalg.norm(q)),
                               hits.column("score").to_numpy(), rtol=1e-4, atol=1e-5)
    assert lib.vectors(np.array([0, 1]), space="text").shape == (2, TEXT_DIM)
    assert lib.vectors([]).shape == (0, AUDIO_DIM)
    with pytest.raises(segue.BadInputError, match="out of range"):
        lib.vectors([lib.rows])
    with pytest.raises(segue.BadInputError, match="unknown space"):
        lib.vectors([0], space="video")
