"""Shared fixtures of the Python suite: a seeded catalogue, a library ingested from it, and
videos near its tracks, made once per session through the package itself."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import segue

AUDIO_DIM = 32
TEXT_DIM = 16
TRACKS = 1500


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("segue")


@pytest.fixture(scope="session")
def catalog(workdir):
    path = workdir / "catalog.parquet"
    segue.generate_catalog(path, tracks=TRACKS, audio_dim=AUDIO_DIM, text_dim=TEXT_DIM, seed=1)
    return path


@pytest.fixture(scope="session")
def library_path(workdir, catalog):
    path = workdir / "lib"
    segue.ingest(path, catalog)
    return path


@pytest.fixture(scope="session")
def lib(library_path):
    return segue.Library.open(library_path)


@pytest.fixture(scope="session")
def videos_file(workdir, library_path):
    path = workdir / "videos.jsonl"
    segue.generate_videos(path, library_path, count=6, seed=2, max_segments=12)
    return path


@pytest.fixture
def fresh_library(tmp_path, catalog):
    """A library of its own, for tests that write to it or damage it."""
    path = tmp_path / "lib"
    segue.ingest(path, catalog)
    return path


def queries(n, dim=AUDIO_DIM, seed=7):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def segue_binary():
    """The `segue` program of this checkout (built by `cargo test`), for comparisons with the
    Rust API; SEGUE_BIN overrides."""
    if os.environ.get("SEGUE_BIN"):
        return os.environ["SEGUE_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).parents[2] / "target"))
    binary = target / "debug" / "segue"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: build it with `cargo build -p segue-cli` (or set SEGUE_BIN)")
    return str(binary)


def copy_library(src, dst):
    shutil.copytree(src, dst)
    return dst
