"""Object storage for the cluster: the same code for a local folder (tests, one machine) and for
S3 or an S3-compatible store (MinIO, moto), addressed by URI with Lance's storage options.

Lance takes the options as they are (``aws_endpoint``, ``aws_access_key_id``, ...); shard
libraries are copied with pyarrow's filesystem, configured from the same options so that one
dict describes the store for both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Dict, Optional, Tuple

from pyarrow import fs as pafs

StorageOptions = Optional[Dict[str, str]]


def join(uri: str, *parts: str) -> str:
    """``uri`` with path components appended (a URI keeps its scheme)."""
    return "/".join([uri.rstrip("/"), *[p.strip("/") for p in parts]])


def filesystem(uri: str, storage_options: StorageOptions = None) -> Tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem holding ``uri`` and the path inside it."""
    if uri.startswith("s3://"):
        o = dict(storage_options or {})
        endpoint = o.get("aws_endpoint") or o.get("endpoint")
        scheme = "https"
        if endpoint and "://" in endpoint:
            scheme, endpoint = endpoint.split("://", 1)
        s3 = pafs.S3FileSystem(
            access_key=o.get("aws_access_key_id"),
            secret_key=o.get("aws_secret_access_key"),
            session_token=o.get("aws_session_token"),
            region=o.get("aws_region") or o.get("region") or "us-east-1",
            endpoint_override=endpoint,
            scheme=scheme,
        )
        return s3, uri[len("s3://") :]
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def upload_dir(local: Path, uri: str, storage_options: StorageOptions = None) -> int:
    """Copies every file under ``local`` to ``uri`` (a prefix that must not exist yet: shard
    folders are immutable). Returns the bytes copied."""
    store, root = filesystem(uri, storage_options)
    if store.get_file_info(root).type != pafs.FileType.NotFound:
        raise FileExistsError(f"{uri} already exists; published shards are never overwritten")
    copied = 0
    for path in sorted(p for p in Path(local).rglob("*") if p.is_file()):
        relative = path.relative_to(local).as_posix()
        target = f"{root}/{relative}"
        store.create_dir(target.rsplit("/", 1)[0], recursive=True)
        with open(path, "rb") as src, store.open_output_stream(target) as dst:
            shutil.copyfileobj(src, dst, length=1 << 20)
        copied += path.stat().st_size
    return copied


def download_dir(uri: str, local: Path, storage_options: StorageOptions = None) -> Path:
    """Copies the folder at ``uri`` to ``local`` unless it is there already. The copy is made in a
    temporary sibling and renamed into place, so a half-copied folder is never seen."""
    local = Path(local)
    if local.is_dir():
        return local
    store, root = filesystem(uri, storage_options)
    infos = store.get_file_info(pafs.FileSelector(root, recursive=True))
    files = [i for i in infos if i.type == pafs.FileType.File]
    if not files:
        raise FileNotFoundError(f"{uri}: no such shard folder (or it is empty)")
    local.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{local.name}.", dir=local.parent))
    try:
        for info in files:
            relative = info.path[len(root) :].lstrip("/")
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with store.open_input_stream(info.path) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
        try:
            os.rename(staging, local)
        except OSError:
            # Another process put the same immutable folder in place first.
            if not local.is_dir():
                raise
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return local


def lance_dataset_exists(uri: str, storage_options: StorageOptions = None) -> bool:
    """Whether a Lance dataset has been committed at ``uri``."""
    import lance

    try:
        lance.dataset(uri, storage_options=storage_options)
        return True
    except (ValueError, OSError):
        return False


def scratch_dir(base: Optional[Path] = None) -> Path:
    """A new private folder for temporary work (a validation library, a shard being built)."""
    root = Path(base or tempfile.gettempdir())
    path = root / f"segue-{uuid.uuid4().hex}"
    path.mkdir(parents=True)
    return path
