"""Serving a sharded catalogue: one server per shard (and replica) holding its shard on local
disk, memory-mapped, and a router that scatters each request to every shard and merges.

Merging is exact: every shard returns its own top ``k`` (its filter applied inside), and the
union's best ``k`` by score, ties broken by global row id, is what a single library holding
every track returns, since a shard's rows are in global-row order and each shard breaks ties
by row. Word queries are scored with BM25 statistics summed over the shards first, so text
scores are the single library's too.

Versions: a request pins the cluster version current when it starts and is answered by that
version's servers only (each answer says which version it came from). Publishing loads every
shard of the new version, then switches; a version's servers are stopped once no request
holds it.
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pyarrow as pa

from segue.cluster.shards import GLOBAL_ROWS_FILE, LIBRARY_DIR, ClusterManifest, read_shard
from segue.cluster.storage import StorageOptions, download_dir

# Options whose answer is not a merge of per-shard answers (a rerank needs the whole pool; a
# fusion's ranks or a sort's order are per list): refused rather than answered differently.
NOT_MERGEABLE = (
    "diversify",
    "pool",
    "diversity_space",
    "max_per_artist",
    "max_per_album",
    "max_per_tag",
    "sort",
    "rrf_k",
)


class ShardServer:
    """One shard of one cluster version, copied to ``cache_dir`` and opened there."""

    def __init__(
        self,
        uri: str,
        storage_options: StorageOptions,
        cache_dir: str,
        cluster_version: int,
        shard: int,
    ):
        import segue

        local = Path(cache_dir) / f"v{cluster_version:06d}" / f"shard-{shard:04d}"
        download_dir(uri, local, storage_options)
        self.info = read_shard(local)
        if self.info["shard"] != shard:
            raise ValueError(f"{uri}: holds shard {self.info['shard']}, expected {shard}")
        self.library = segue.Library.open(local / LIBRARY_DIR)
        self.global_rows = np.load(local / GLOBAL_ROWS_FILE)
        if len(self.global_rows) != self.library.rows:
            raise ValueError(
                f"{uri}: {len(self.global_rows)} global rows for {self.library.rows} tracks"
            )
        self.cluster_version = cluster_version
        self.shard = shard
        self.folder = local
        self._plans = None

    def ping(self) -> Dict[str, Any]:
        return {"shard": self.shard, "cluster_version": self.cluster_version, **self.info}

    def stats(self) -> Dict[str, Any]:
        """This server's process id and resident memory (for sizing), and its shard's size."""
        rss = 0
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
        disk = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        return {"pid": os.getpid(), "rss_bytes": rss, "rows": self.library.rows, "disk_bytes": disk}

    def text_statistics(self, tags: str) -> Dict[str, Any]:
        return self.library.text_statistics(tags)

    # -- the shard's side of planning (see segue.cluster.planning) ------------------------------

    def _planner(self):
        if self._plans is None:
            self._plans = self.library.planner()
        return self._plans

    def planning_setup(self) -> Dict[str, Any]:
        """What the router's planner needs to know of this shard."""
        return {
            "dims": self.library.dims,
            "rows": self.library.rows,
            "fit": self._planner().fit_json(),
        }

    def candidate_hits(self, queries, fetch: int, **options) -> List[List[Any]]:
        """``Planner.candidate_hits`` with global rows in place of this shard's rows."""
        answers = self._planner().candidate_hits(queries, fetch, **options)
        return [
            [(self.global_rows[rows.astype(np.int64)], scores) for rows, scores in segment]
            for segment in answers
        ]

    def gather_tracks(self, global_rows: np.ndarray) -> Dict[str, Any]:
        """``Planner.gather_tracks`` for tracks of this shard named by global row."""
        global_rows = np.asarray(global_rows, dtype=np.uint64)
        local = np.searchsorted(self.global_rows, global_rows)
        local = np.minimum(local, len(self.global_rows) - 1)
        if not np.array_equal(self.global_rows[local], global_rows):
            missing = global_rows[self.global_rows[local] != global_rows][:5].tolist()
            raise ValueError(f"shard {self.shard} does not hold global rows {missing}")
        return self._planner().gather_tracks(local.tolist(), global_rows)

    def energy_counts(self, values: List[float]):
        return self._planner().energy_counts(values)

    def search(self, **options) -> pa.Table:
        """``Library.search`` with each hit's ``global_row``, ``shard`` and ``cluster_version``."""
        hits = self.library.search(**options)
        rows = hits.column("row").to_numpy().astype(np.int64)
        n = hits.num_rows
        return (
            hits.append_column("global_row", pa.array(self.global_rows[rows], type=pa.uint64()))
            .append_column("shard", pa.array(np.full(n, self.shard, dtype=np.uint32)))
            .append_column(
                "cluster_version", pa.array(np.full(n, self.cluster_version, dtype=np.uint64))
            )
        )


def merge_hits(tables: List[pa.Table], k: int) -> pa.Table:
    """The best ``k`` of several shards' hits: score descending, then global row ascending,
    ranked 1.. again."""
    table = pa.concat_tables(tables)
    table = table.sort_by([("score", "descending"), ("global_row", "ascending")]).slice(0, k)
    return table.set_column(
        table.schema.get_field_index("rank"),
        "rank",
        pa.array(np.arange(1, table.num_rows + 1, dtype=np.uint32)),
    )


class _Version:
    def __init__(self, version: int, servers: List[List[Any]]):
        self.version = version
        self.servers = servers  # per shard, its replicas
        self.in_flight = 0
        self.turn = itertools.count()
        self.planner = None  # the router's ShardedPlanner, made on the first plan
        self.rows = 0


class Router:
    """Routes searches to the shards of the current cluster version.

    ``use_ray``: servers are Ray actors (restarted when they die; a call to a dead one is
    retried) spread over the cluster; else they live in this process (tests, one machine).
    """

    def __init__(
        self,
        cluster_uri: str,
        storage_options: StorageOptions = None,
        *,
        cache_dir: str,
        replicas: int = 1,
        use_ray: bool = True,
        timeout_s: float = 120.0,
    ):
        if replicas < 1:
            raise ValueError(f"replicas must be at least 1, got {replicas}")
        self.manifest = ClusterManifest(cluster_uri, storage_options)
        self.storage_options = dict(storage_options or {})
        self.cache_dir = str(cache_dir)
        self.replicas = replicas
        self.use_ray = use_ray
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._versions: Dict[int, _Version] = {}
        self._current: Optional[int] = None

    # -- versions -----------------------------------------------------------------------------

    @property
    def current(self) -> Optional[int]:
        return self._current

    def publish(self, version: Optional[int] = None) -> int:
        """Loads cluster ``version`` (default: the latest) on fresh servers, waits until every
        shard answers, then makes it current. Earlier versions stop once idle."""
        version = self.manifest.latest() if version is None else version
        with self._lock:
            if version in self._versions:
                self._current = version
                self._collect()
                return version
        loaded = self._load(version)
        with self._lock:
            if version in self._versions:
                # A concurrent publish of the same version loaded it first: keep one set.
                self._stop(loaded)
            else:
                self._versions[version] = loaded
            self._current = version
            self._collect()
        return version

    def versions_loaded(self) -> List[int]:
        with self._lock:
            return sorted(self._versions)

    def _load(self, version: int) -> _Version:
        shards = self.manifest.shards(version)
        servers = [
            [self._start(row["uri"], version, row["shard"]) for _ in range(self.replicas)]
            for row in shards
        ]
        self._gather([self._call(s, "ping") for replicas in servers for s in replicas])
        return _Version(version, servers)

    def _collect(self) -> None:
        for v in [v for v, s in self._versions.items() if v != self._current and s.in_flight == 0]:
            self._stop(self._versions.pop(v))

    def close(self) -> None:
        with self._lock:
            for v in list(self._versions):
                self._stop(self._versions.pop(v))
            self._current = None

    # -- requests ------------------------------------------------------------------------------

    def search(self, *, k: int = 10, **options) -> pa.Table:
        """A search over every shard (``Library.search``'s options, except the reranks, sorts
        and fusions listed in ``NOT_MERGEABLE``): the single library's answer, with the
        ``global_row``, ``shard`` and ``cluster_version`` of each hit."""
        refused = [o for o in NOT_MERGEABLE if options.get(o) is not None]
        if refused:
            raise ValueError(
                f"{', '.join(refused)}: not available on a sharded catalogue (the answer would not "
                "be a merge of the shards' answers)"
            )
        queries = [o for o in ("vector", "text", "like") if options.get(o) is not None]
        if options.get("tags") and queries:
            raise ValueError(
                "hybrid searches (words with a vector) are not available on a sharded catalogue"
            )
        if options.get("like") is not None:
            raise ValueError(
                "`like` is not available on a sharded catalogue yet (a shard knows only its own "
                "tracks' vectors): search with the liked tracks' vector instead"
            )
        if "output" in options:
            raise ValueError("a sharded search returns a pyarrow Table")
        version = self._pin()
        try:
            shards = version.servers
            if options.get("tags") and "text_statistics" not in options:
                tags = options["tags"]
                parts = self._gather(
                    [self._call(self._pick(version, r), "text_statistics", tags) for r in shards]
                )
                import segue

                options["text_statistics"] = segue.sum_text_statistics(parts)
            answers = self._gather(
                [self._call(self._pick(version, r), "search", k=k, **options) for r in shards]
            )
        finally:
            self._unpin(version)
        return merge_hits(answers, k)

    def plan(
        self,
        video: Any,
        *,
        policy: str = "beam",
        filter: Optional[str] = None,
        candidates: Optional[int] = None,
        exact_candidates: bool = False,
        beam_width: Optional[int] = None,
        seed: int = 0,
        max_per_artist: Optional[int] = None,
        exclude_ids: Optional[Sequence[str]] = None,
        diversify: Optional[str] = None,
        diversify_keep: Optional[int] = None,
        motion_energy: float = 0.0,
    ) -> Dict[str, Any]:
        """The soundtrack plan of one video (a dict or JSON string, with segment embeddings)
        over every shard, planned here: ``Planner.plan``'s options and answer (with
        ``exact_candidates``, exactly the single library's plan with ``arrange=False``: no
        edit list to render yet), each segment's ``row`` a global row with its ``shard``, and
        the plan's ``cluster_version``. Planning every track
        (``exact``) and trained policies are not available on a sharded catalogue."""
        return self.plan_batch(
            [video],
            policy=policy,
            filter=filter,
            candidates=candidates,
            exact_candidates=exact_candidates,
            beam_width=beam_width,
            seed=seed,
            max_per_artist=max_per_artist,
            exclude_ids=exclude_ids,
            diversify=diversify,
            diversify_keep=diversify_keep,
            motion_energy=motion_energy,
        )[0]

    def plan_batch(
        self,
        videos: Any,
        *,
        no_repeat_across_videos: bool = False,
        exclude_ids: Optional[Sequence[str]] = None,
        filter: Optional[str] = None,
        candidates: Optional[int] = None,
        exact_candidates: bool = False,
        **plan_options,
    ) -> List[Dict[str, Any]]:
        """Plans ``videos`` (as ``Planner.plan_batch`` reads them: a dict or JSON string, a list
        of them, or a ``.json``/``.jsonl`` path) in order on one cluster version; with
        ``no_repeat_across_videos`` no track is placed in two of them. Options as ``plan``."""
        from segue.cluster.planning import plan_video, sharded_planner

        if isinstance(exclude_ids, str):
            exclude_ids = [exclude_ids]
        excluded = list(exclude_ids or [])
        version = self._pin()
        try:
            # Read as the single library's Planner.plan_batch reads them (one parser).
            items = sharded_planner(self, version).videos(videos)
            plans = []
            for video in items:
                plan = plan_video(
                    self,
                    version,
                    video,
                    candidates=candidates,
                    exact_candidates=exact_candidates,
                    filter=filter,
                    exclude_ids=excluded,
                    plan_options=plan_options,
                )
                plans.append(plan)
                if no_repeat_across_videos:
                    excluded.extend(
                        s["track_id"] for s in plan["segments"] if s["action"] == "new"
                    )
        finally:
            self._unpin(version)
        return plans

    def _pin(self) -> _Version:
        with self._lock:
            if self._current is None:
                raise RuntimeError("no cluster version is loaded: call publish() first")
            version = self._versions[self._current]
            version.in_flight += 1
            return version

    def _unpin(self, version: _Version) -> None:
        with self._lock:
            version.in_flight -= 1
            self._collect()

    @staticmethod
    def _pick(version: _Version, replicas: List[Any]) -> Any:
        return replicas[next(version.turn) % len(replicas)]

    # -- servers: Ray actors or local objects --------------------------------------------------

    def _start(self, uri: str, version: int, shard: int) -> Any:
        args = (uri, self.storage_options, self.cache_dir, version, shard)
        if not self.use_ray:
            return ShardServer(*args)
        import ray

        actor = ray.remote(ShardServer).options(
            num_cpus=0, max_restarts=3, max_task_retries=3, name=None
        )
        return actor.remote(*args)

    def _call(self, server: Any, method: str, *args, **kwargs) -> Any:
        if self.use_ray:
            return getattr(server, method).remote(*args, **kwargs)
        return getattr(server, method)(*args, **kwargs)

    def _gather(self, calls: List[Any]) -> List[Any]:
        if not self.use_ray:
            return calls
        import ray

        return ray.get(calls, timeout=self.timeout_s)

    def _stop(self, version: _Version) -> None:
        if not self.use_ray:
            return
        import ray

        for replicas in version.servers:
            for actor in replicas:
                ray.kill(actor, no_restart=True)

    def servers(self, version: Optional[int] = None) -> List[List[Any]]:
        """The servers of ``version`` (default: current), per shard its replicas."""
        with self._lock:
            return self._versions[self._current if version is None else version].servers
