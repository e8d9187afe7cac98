"""Shards: ordinary Segue libraries built from slices of one pinned version of the catalogue of
record, published as immutable folders, and named per cluster version by a cluster manifest.

A shard folder holds ``library/`` (the engine's own format: manifest, vectors, graphs, text
index), ``global_rows.npy`` (each library row's global row id, ascending, so the library's own
tie-break by row is the global one) and ``SHARD.json`` (what was built from what). The cluster
manifest is a Lance table overwritten by every publish: its Lance version *is* the cluster
version, and time travel reads any earlier one, so no commit protocol of our own is needed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from segue.cluster.record import GLOBAL_ROW, SHARD, CatalogueOfRecord
from segue.cluster.storage import (
    StorageOptions,
    join,
    lance_dataset_exists,
    scratch_dir,
    upload_dir,
)

SHARD_FILE = "SHARD.json"
GLOBAL_ROWS_FILE = "global_rows.npy"
LIBRARY_DIR = "library"
SHARD_FORMAT = 1
MANIFEST_TABLE = "cluster.lance"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_shard(
    record: CatalogueOfRecord,
    version: int,
    shard: Optional[int],
    out_dir: Path,
    fit_videos: Any = None,
    **ingest_options,
) -> Dict[str, Any]:
    """Builds the library of ``shard`` (every track when None: the single-library reference)
    from ``record`` at ``version`` into ``out_dir`` (which must not exist), fitted on
    ``fit_videos`` (``segue.fit``'s videos: the soundtrack model every shard shares) when
    given. Returns its ``SHARD.json``."""
    import segue

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True)
    table = record.slice(version, shard)
    if table.num_rows == 0:
        raise ValueError(
            f"{record.uri} version {version}: shard {shard} has no tracks; use fewer shards"
        )
    global_rows = table.column(GLOBAL_ROW).to_numpy().astype(np.uint64)
    catalog = out_dir / ".catalog.parquet"
    pq.write_table(table.drop_columns([GLOBAL_ROW, SHARD]), catalog)
    try:
        summary = segue.ingest(out_dir / LIBRARY_DIR, catalog, **ingest_options)
    finally:
        catalog.unlink(missing_ok=True)
    if fit_videos is not None:
        summary = segue.fit(out_dir / LIBRARY_DIR, fit_videos)
    np.save(out_dir / GLOBAL_ROWS_FILE, global_rows)
    info = {
        "format": SHARD_FORMAT,
        "shard": shard,
        "shards": record.shards,
        "record_uri": record.uri,
        "record_version": int(version),
        "rows": int(table.num_rows),
        "library_version": int(summary["library_version"]),
        "global_rows_sha256": _sha256(out_dir / GLOBAL_ROWS_FILE),
    }
    (out_dir / SHARD_FILE).write_text(json.dumps(info, indent=2) + "\n")
    return info


def read_shard(folder: Path) -> Dict[str, Any]:
    """A shard folder's ``SHARD.json``, checked against its global rows file."""
    folder = Path(folder)
    try:
        info = json.loads((folder / SHARD_FILE).read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"{folder / SHARD_FILE}: not a readable shard description: {e}") from e
    if info.get("format") != SHARD_FORMAT:
        raise ValueError(
            f"{folder / SHARD_FILE}: shard format {info.get('format')!r}; this version reads "
            f"{SHARD_FORMAT}"
        )
    if _sha256(folder / GLOBAL_ROWS_FILE) != info["global_rows_sha256"]:
        raise ValueError(f"{folder / GLOBAL_ROWS_FILE}: checksum mismatch (damaged copy)")
    return info


class ClusterManifest:
    """The cluster manifest at ``{cluster_uri}/cluster.lance``: one row per shard of the current
    cluster version (its Lance version)."""

    def __init__(self, cluster_uri: str, storage_options: StorageOptions = None):
        self.cluster_uri = cluster_uri
        self.uri = join(cluster_uri, MANIFEST_TABLE)
        self.storage_options = dict(storage_options or {})

    def _dataset(self, version: Optional[int] = None):
        import lance

        return lance.dataset(self.uri, version=version, storage_options=self.storage_options)

    def latest(self) -> int:
        return self._dataset().version

    def shards(self, version: Optional[int] = None) -> List[Dict[str, Any]]:
        """The shards of cluster ``version`` (default: the latest), by shard number."""
        rows = self._dataset(version).to_table().to_pylist()
        return sorted(rows, key=lambda r: r["shard"])

    def commit(self, rows: Sequence[Dict[str, Any]]) -> int:
        """Makes the shards described by ``rows`` (from ``publish_shard``, one per shard, all
        built from one record version) the next cluster version, in one Lance commit."""
        import lance

        shards = {r["shards"] for r in rows}
        versions = {r["record_version"] for r in rows}
        numbers = sorted(r["shard"] for r in rows)
        if len(shards) != 1 or numbers != list(range(next(iter(shards)))) or len(versions) != 1:
            raise ValueError(
                "a cluster version needs every shard 0..S-1 exactly once, built from one record "
                f"version; got shards {numbers} of {sorted(shards)}, versions {sorted(versions)}"
            )
        table = pa.Table.from_pylist(sorted(rows, key=lambda r: r["shard"]), schema=MANIFEST_SCHEMA)
        mode = "overwrite" if lance_dataset_exists(self.uri, self.storage_options) else "create"
        dataset = lance.write_dataset(
            table, self.uri, mode=mode, storage_options=self.storage_options
        )
        return dataset.version


MANIFEST_SCHEMA = pa.schema(
    [
        pa.field("shard", pa.uint32(), nullable=False),
        pa.field("shards", pa.uint32(), nullable=False),
        pa.field("uri", pa.string(), nullable=False),
        pa.field("rows", pa.uint64(), nullable=False),
        pa.field("bytes", pa.uint64(), nullable=False),
        pa.field("record_version", pa.uint64(), nullable=False),
        pa.field("library_version", pa.uint64(), nullable=False),
    ]
)


def publish_shard(
    record: CatalogueOfRecord,
    version: int,
    shard: int,
    prefix: str,
    work_dir: Optional[Path] = None,
    fit_videos: Any = None,
    **ingest_options,
) -> Dict[str, Any]:
    """Builds ``shard`` in a private scratch folder, uploads it to ``{prefix}/shard-NNNN``
    (immutable: an existing folder is never overwritten) and returns its cluster manifest row.
    Runs where it is called: on a Ray worker, the shard is built on that worker's disk."""
    scratch = scratch_dir(work_dir)
    try:
        folder = scratch / "shard"
        info = build_shard(record, version, shard, folder, fit_videos, **ingest_options)
        uri = join(prefix, f"shard-{shard:04d}")
        size = upload_dir(folder, uri, record.storage_options)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "shard": shard,
        "shards": info["shards"],
        "uri": uri,
        "rows": info["rows"],
        "bytes": size,
        "record_version": info["record_version"],
        "library_version": info["library_version"],
    }


def build_and_publish(
    record: CatalogueOfRecord,
    version: int,
    cluster_uri: str,
    *,
    work_dir: Optional[Path] = None,
    use_ray: Optional[bool] = None,
    fit_videos: Any = None,
    **ingest_options,
) -> int:
    """Builds every shard of ``record`` at ``version`` (one Ray task per shard when Ray is
    running; each fitted on ``fit_videos`` when given, which a worker must be able to read),
    uploads each under a new unique prefix, and publishes them as the next cluster version.
    Returns that version."""
    from segue.cluster.record import _ray_running

    prefix = join(cluster_uri, "shards", f"{int(time.time())}-{uuid.uuid4().hex[:12]}")
    args = [(record, version, s, prefix, work_dir, fit_videos) for s in range(record.shards)]
    if use_ray if use_ray is not None else _ray_running():
        import ray

        task = ray.remote(publish_shard)
        rows = ray.get([task.remote(*a, **ingest_options) for a in args])
    else:
        rows = [publish_shard(*a, **ingest_options) for a in args]
    return ClusterManifest(cluster_uri, record.storage_options).commit(rows)
