"""The catalogue of record: one Lance dataset of validated tracks (on S3 or a local folder).

Every row is a track as a Segue library stores it (the engine's own validation, tag
normalisation and caption embeddings made it), plus the ``shard`` it is served by. Lance's
stable row ids are the tracks' global row ids: assigned by Lance's commit, unique across
concurrent writers, and never reused. Shards and the single-library reference are built from
one pinned version, in global-row order, so ties break the same way everywhere.

An ingest validates its catalogue parts in parallel (Ray tasks when Ray is running, else in
this process), each part written as Lance fragments by the task that validated it, and
commits once. Concurrent ingests each commit their own append; Lance retries a commit that
lost a race, so no writer's rows are lost.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

import pyarrow as pa

from segue.cluster.storage import StorageOptions, lance_dataset_exists, scratch_dir

SHARD = "shard"
GLOBAL_ROW = "_rowid"
SHARDS_METADATA = b"segue.shards"
TRACKS_LANCE = "tracks.lance"

PathLike = Union[str, Path]


def _lance():
    import lance

    return lance


def shard_of(track_id: str, shards: int) -> int:
    """The shard serving ``track_id``: a hash of the id (BLAKE2b, the same in every process and
    Python version, unlike ``hash``) modulo the shard count."""
    digest = hashlib.blake2b(track_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % shards


def validate_part(part: PathLike, shards: int, work_dir: Optional[Path] = None, **ingest_options):
    """The rows of one catalogue file as the engine validates and stores them, with their shard:
    the part is ingested into a private scratch library (``segue.ingest``: the engine's parsing,
    validation, tag normalisation, caption embeddings) and its Lance table read back."""
    import segue

    scratch = scratch_dir(work_dir)
    try:
        segue.ingest(scratch / "library", part, index=False, **ingest_options)
        table = _lance().dataset(str(scratch / "library" / TRACKS_LANCE)).to_table()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ids = table.column("track_id").to_pylist()
    return table.append_column(
        pa.field(SHARD, pa.uint32(), nullable=False),
        pa.array([shard_of(i, shards) for i in ids], type=pa.uint32()),
    )


def _write_part(uri, storage_options, shards, part, ingest_options) -> Dict[str, Any]:
    table = validate_part(part, shards, **ingest_options)
    fragments = _lance().fragment.write_fragments(
        table, uri, storage_options=storage_options, enable_stable_row_ids=True
    )
    return {
        "schema": table.schema.serialize().to_pybytes(),
        "fragments": [json.dumps(f.to_json()) for f in fragments],
        "rows": table.num_rows,
    }


class CatalogueOfRecord:
    """The Lance dataset at ``uri`` holding every track, with its shard count in the schema
    metadata. ``storage_options`` are Lance's (endpoint, credentials, ``allow_http``)."""

    def __init__(self, uri: str, storage_options: StorageOptions = None):
        self.uri = uri
        self.storage_options = dict(storage_options or {})

    def dataset(self, version: Optional[int] = None):
        """The dataset at ``version`` (default: the latest)."""
        return _lance().dataset(self.uri, version=version, storage_options=self.storage_options)

    def exists(self) -> bool:
        return lance_dataset_exists(self.uri, self.storage_options)

    @property
    def shards(self) -> int:
        meta = self.dataset().schema.metadata or {}
        return int(meta[SHARDS_METADATA])

    def create(self, schema: pa.Schema, shards: int) -> None:
        """Creates the empty dataset (stable row ids on). Creating one that exists with the same
        shard count is a no-op, so concurrent first ingests may all call it."""
        schema = schema.with_metadata({**(schema.metadata or {}), SHARDS_METADATA: str(shards)})
        try:
            _lance().write_dataset(
                schema.empty_table(),
                self.uri,
                mode="create",
                enable_stable_row_ids=True,
                storage_options=self.storage_options,
            )
        except (OSError, ValueError) as e:
            if not self.exists():
                raise
            if self.shards != shards:
                raise ValueError(
                    f"{self.uri}: the catalogue of record has {self.shards} shards, not {shards}"
                ) from e

    def ingest(
        self,
        parts: Sequence[PathLike],
        *,
        shards: int,
        use_ray: Optional[bool] = None,
        **ingest_options,
    ) -> Dict[str, Any]:
        """Validates ``parts`` (catalogue files in any format ``segue.ingest`` reads; its
        options apply) in parallel, writes each as fragments and commits them once. Returns the
        new version and the rows added. A bad row fails the ingest with the engine's error
        (file, row, field) and nothing is committed, unless ``skip_bad_rows=True``."""
        parts = [str(p) for p in parts]
        if not parts:
            raise ValueError("nothing to ingest: no catalogue parts given")
        if use_ray is None:
            use_ray = _ray_running()
        args = (self.uri, self.storage_options, shards)
        if use_ray:
            import ray

            task = ray.remote(_write_part)
            written = ray.get([task.remote(*args, p, ingest_options) for p in parts])
        else:
            written = [_write_part(*args, p, ingest_options) for p in parts]
        schema = pa.ipc.read_schema(pa.py_buffer(written[0]["schema"]))
        # Refuses a record that exists with another shard count.
        self.create(schema, shards)
        lance = _lance()
        fragments = [
            lance.fragment.FragmentMetadata.from_json(f) for w in written for f in w["fragments"]
        ]
        dataset = lance.LanceDataset.commit(
            self.uri,
            lance.LanceOperation.Append(fragments),
            read_version=self.dataset().version,
            storage_options=self.storage_options,
        )
        return {"version": dataset.version, "rows_added": sum(w["rows"] for w in written)}

    def slice(self, version: int, shard: Optional[int] = None) -> pa.Table:
        """The tracks of ``shard`` (all tracks when None) at ``version``, in global-row order,
        with the global row id as ``_rowid``."""
        ds = self.dataset(version)
        where = None if shard is None else f"{SHARD} = {int(shard)}"
        table = ds.to_table(filter=where, with_row_id=True)
        return table.sort_by(GLOBAL_ROW)


def _ray_running() -> bool:
    try:
        import ray
    except ImportError:
        return False
    return ray.is_initialized()
