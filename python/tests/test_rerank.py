"""Diversity, caps, exclusions and browsing from Python: the options hold on every hit, MMR at
λ = 1 is the relevance order, k hits come back whenever k qualify, and bad values are clear
errors."""

from collections import Counter

import pyarrow as pa
import pytest

import segue
from conftest import queries

RERANK_COLUMNS = ["pool_rank", "rerank_score"]


def ids(table):
    return table.column("track_id").to_pylist()


def test_mmr_at_lambda_one_is_the_relevance_order(lib):
    q = queries(1, seed=11)[0]
    plain = lib.search(vector=q, k=10, exact=True)
    mmr = lib.search(vector=q, k=10, exact=True, diversify="mmr:1")
    assert ids(mmr) == ids(plain)
    assert mmr.column_names[4:6] == RERANK_COLUMNS
    assert mmr.column("pool_rank").to_pylist() == list(range(1, 11))
    # `score` stays the relevance before reranking.
    assert mmr.column("score").to_pylist() == plain.column("score").to_pylist()


@pytest.mark.parametrize("diversify", ["mmr", "mmr:0.3", "dpp", "dpp:0.5"])
def test_diversity_returns_k_distinct_hits_from_the_pool(lib, diversify):
    q = queries(1, seed=12)[0]
    hits = lib.search(vector=q, k=10, diversify=diversify, pool=50)
    assert hits.num_rows == 10
    assert len(set(ids(hits))) == 10
    ranks = hits.column("pool_rank").to_pylist()
    assert all(1 <= r <= 50 for r in ranks)
    assert hits.schema.field("rerank_score").type == pa.float32()


def test_caps_hold_and_k_hits_come_back(lib):
    q = queries(1, seed=13)[0]
    hits = lib.search(vector=q, k=10, max_per_artist=1, max_per_album=1,
                      fields=["artist", "album"], output="dicts")
    assert len(hits) == 10
    assert max(Counter(h["artist"] for h in hits).values()) == 1
    assert max(Counter(h["album"] for h in hits).values()) == 1


def test_tag_caps_as_a_dict_or_as_strings_mean_the_same(lib):
    q = queries(1, seed=14)[0]
    as_dict = lib.search(vector=q, k=10, max_per_tag={"genre": 2}, fields=["tags"])
    as_list = lib.search(vector=q, k=10, max_per_tag=["genre:2"], fields=["tags"])
    assert ids(as_dict) == ids(as_list)
    genres = Counter(t for tags in as_dict.column("tags").to_pylist()
                     for t in tags if t.startswith("genre:"))
    assert genres and max(genres.values()) <= 2


def test_exclusions_are_never_returned_and_k_still_come_back(lib):
    q = queries(1, seed=15)[0]
    plain = lib.search(vector=q, k=10, fields=["artist"], output="dicts")
    banned_ids = [h["track_id"] for h in plain[:3]]
    banned_artist = plain[3]["artist"]
    hits = lib.search(vector=q, k=10, exclude_ids=banned_ids, exclude_artists=banned_artist,
                      fields=["artist"], output="dicts")
    assert len(hits) == 10
    assert not {h["track_id"] for h in hits} & set(banned_ids)
    assert all(h["artist"] != banned_artist for h in hits)


def test_a_batch_applies_the_caps_to_every_query(lib):
    table = lib.search_batch(queries(4, seed=16), k=8, max_per_artist=1, fields=["artist"])
    assert table.num_rows == 32
    for q in range(4):
        rows = table.filter(pa.compute.equal(table.column("query"), q))
        assert len(set(rows.column("artist").to_pylist())) == 8


def test_a_filter_alone_browses_in_the_sort_order(lib):
    hits = lib.search(filter="bpm >= 100", sort="-bpm", k=20, fields=["bpm"])
    bpms = hits.column("bpm").to_pylist()
    assert len(bpms) == 20
    assert all(b >= 100 for b in bpms)
    assert bpms == sorted(bpms, reverse=True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"diversify": "mmr:2"}, "MMR λ must be"),
        ({"diversify": "mmr:x"}, "MMR λ must be a number"),
        ({"diversify": "random"}, "unknown diversity method"),
        ({"max_per_artist": 0}, "must be at least 1"),
        ({"max_per_album": 0}, "must be at least 1"),
        ({"max_per_tag": {"genre": 0}}, "must be at least 1"),
        ({"max_per_tag": ["genre"]}, "tag cap"),
        ({"max_per_tag": {"genre": "two"}}, "max_per_tag"),
        ({"max_per_tag": 3}, "max_per_tag must be a dict"),
        ({"exclude_ids": 5}, "`exclude_ids` must be a string"),
        ({"exclude_artists": [""]}, "empty artist"),
        ({"diversity_space": "video"}, "unknown space"),
        ({"sort": "colour"}, "cannot sort by"),
        ({"pool": 0}, "pool"),
    ],
)
def test_a_bad_rerank_option_is_a_bad_input_error(lib, kwargs, message):
    with pytest.raises(segue.BadInputError, match=message):
        lib.search(vector=queries(1)[0], **kwargs)


def test_a_negative_cap_is_refused_by_python_itself(lib):
    with pytest.raises(OverflowError):
        lib.search(vector=queries(1)[0], max_per_artist=-1)
