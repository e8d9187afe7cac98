"""A sharded Segue: the catalogue of record in one Lance dataset on object storage, shards that
are ordinary Segue libraries built from one pinned version of it, and a router that answers
every search as the single library would, with the shards served by Ray actors.

    from segue.cluster import CatalogueOfRecord, Router, build_and_publish

    record = CatalogueOfRecord("s3://bucket/tracks.lance", storage_options)
    version = record.ingest(["part-0.parquet", "part-1.parquet"], shards=4)["version"]
    build_and_publish(record, version, "s3://bucket/cluster")
    router = Router("s3://bucket/cluster", storage_options, cache_dir="/var/cache/segue")
    router.publish()
    hits = router.search(vector=query, k=10, filter="bpm >= 90")
    plan = router.plan(video, policy="beam", filter="bpm >= 90")

Needs ``pylance`` (and ``ray`` for actors and parallel ingest and builds): ``pip install
segue[cluster]``.
"""

from segue.cluster.record import CatalogueOfRecord, shard_of, validate_part
from segue.cluster.serving import Router, ShardServer, merge_hits
from segue.cluster.shards import ClusterManifest, build_and_publish, build_shard, publish_shard

__all__ = [
    "CatalogueOfRecord",
    "ClusterManifest",
    "Router",
    "ShardServer",
    "build_and_publish",
    "build_shard",
    "merge_hits",
    "publish_shard",
    "shard_of",
    "validate_part",
]
