"""Soundtracks over a sharded catalogue, planned at the router.

The sequencer runs at the router over tracks gathered from the shards, in three rounds of one
call per shard (the engine's ``ShardedPlanner`` documents why the answer is the single
library's): every shard answers each segment's candidate queries with its best rows (filter
and exclusions applied inside the shard); the router merges them per query by score, ties to
the lower global row, and gathers the union's tracks from the shards that hold them (with
their catalogue-wide energy ranks when the motion-energy term is on); then it plans.

Plans are the single library's plans made with ``arrange=False``, with each segment's ``row``
a global row and its ``shard`` added: they carry no arrangement (beat-matched transitions and
bridge tracks need the tracks' analyses, which shards do not hold yet), so each segment's
``offset`` is where the sequencer's episode played its track from.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np


def sharded_planner(router, version) -> Any:
    """The router's planner for ``version``: every shard must agree on dims and fit."""
    from segue._segue import ShardedPlanner

    if version.planner is not None:
        return version.planner
    setups = router._gather(
        [router._call(router._pick(version, r), "planning_setup") for r in version.servers]
    )
    dims = {(s["dims"].get("audio"), s["dims"].get("text")) for s in setups}
    fits = {s["fit"] for s in setups}
    if len(dims) != 1 or len(fits) != 1:
        raise ValueError(
            f"cluster version {version.version}: shards differ in embedding dimensions or "
            "soundtrack fit; rebuild them from one record version with one fit_videos"
        )
    version.planner = ShardedPlanner(setups[0]["dims"], setups[0]["fit"], version.version)
    version.rows = sum(int(s["rows"]) for s in setups)
    return version.planner


def plan_video(
    router,
    version,
    video: Any,
    *,
    candidates: Optional[int],
    exact_candidates: bool,
    filter: Optional[str],
    exclude_ids: Sequence[str],
    plan_options: Dict[str, Any],
) -> Dict[str, Any]:
    """One video's plan on ``version`` (pinned by the caller)."""
    from segue._segue import DEFAULT_CANDIDATES, energy_ranks_from_counts, merge_candidate_hits

    planner = sharded_planner(router, version)
    fetch = DEFAULT_CANDIDATES if candidates is None else int(candidates)
    queries = [
        [(space, q.tolist()) for space, q in segment]
        for segment in planner.segment_queries(video)
    ]
    shards = version.servers
    answers = router._gather(
        [
            router._call(
                router._pick(version, replicas),
                "candidate_hits",
                queries,
                fetch,
                filter=filter,
                exclude_ids=list(exclude_ids) or None,
                exact_candidates=exact_candidates,
            )
            for replicas in shards
        ]
    )
    merged = merge_candidate_hits(answers, fetch)
    owner: Dict[int, int] = {}
    for shard, answer in enumerate(answers):
        for segment in answer:
            for rows, _ in segment:
                owner.update((int(g), shard) for g in rows)
    wanted: Dict[int, List[int]] = {}
    for g in sorted({int(g) for rows in merged for g in rows}):
        wanted.setdefault(owner[g], []).append(g)
    if not wanted:
        from segue.errors import BadInputError

        raise BadInputError(
            f"cluster version {version.version}: no shard has a track the filter and the "
            "exclusions allow, so no segment has a candidate"
        )
    parts = router._gather(
        [
            router._call(
                router._pick(version, shards[s]), "gather_tracks", np.array(rows, np.uint64)
            )
            for s, rows in sorted(wanted.items())
        ]
    )
    tracks = _concat(parts)
    if plan_options.get("motion_energy", 0.0) != 0.0:
        energies = tracks["features"][:, 1].tolist()
        counts = router._gather(
            [
                router._call(router._pick(version, replicas), "energy_counts", energies)
                for replicas in shards
            ]
        )
        less = np.sum([c[0] for c in counts], axis=0).astype(np.uint64)
        equal = np.sum([c[1] for c in counts], axis=0).astype(np.uint64)
        tracks["energy_rank"] = energy_ranks_from_counts(less, equal, version.rows)
    plan = planner.plan(
        video,
        tracks,
        [rows.tolist() for rows in merged],
        candidates=fetch,
        **plan_options,
    )
    plan["cluster_version"] = version.version
    for segment in plan["segments"]:
        segment["shard"] = owner[segment["row"]]
    return plan


def _concat(parts: List[Dict[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key in parts[0]:
        values = [p[key] for p in parts]
        if values[0] is None:
            out[key] = None
        elif isinstance(values[0], np.ndarray):
            out[key] = np.concatenate(values)
        else:
            out[key] = [x for v in values for x in v]
    return out
