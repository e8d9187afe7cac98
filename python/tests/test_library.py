"""Opening a library, describing and verifying it, its errors, pickling."""

import json
import pickle
import zlib

import pytest

import segue
from conftest import AUDIO_DIM, TEXT_DIM, TRACKS


def test_a_library_opens_and_describes_itself(lib, library_path):
    assert lib.rows == TRACKS
    assert lib.version >= 1
    assert lib.path == library_path
    assert lib.dims == {"audio": AUDIO_DIM, "text": TEXT_DIM}
    info = lib.info()
    assert info["tracks"] == TRACKS
    assert info["library_version"] == lib.version
    assert {e["name"]: e["dim"] for e in info["embeddings"]} == {
        "audio_emb": AUDIO_DIM,
        "text_emb": TEXT_DIM,
    }
    assert info["verified"] is False
    assert lib.verify()["verified"] is True
    assert "version=" in repr(lib)


def test_a_missing_library_is_a_not_a_library_error_naming_the_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(segue.NotALibraryError, match="nowhere") as e:
        segue.Library.open(missing)
    assert isinstance(e.value, FileNotFoundError)
    assert isinstance(e.value, segue.SegueError)


def test_a_damaged_vector_file_fails_verification_naming_the_file(fresh_library):
    vectors = sorted((fresh_library / "vectors").glob("audio_emb*"))
    assert vectors, list(fresh_library.iterdir())
    data = bytearray(vectors[0].read_bytes())
    data[-5] ^= 0xFF
    vectors[0].write_bytes(bytes(data))
    lib = segue.Library.open(fresh_library)  # opening does not re-read the data
    with pytest.raises(segue.CorruptLibraryError, match="audio_emb"):
        lib.verify()


def _rewrite_manifest(library, edit):
    """Rewrites MANIFEST.json with `edit` applied to its inner JSON and a valid checksum."""
    manifest = library / "MANIFEST.json"
    envelope = json.loads(manifest.read_text())
    inner = json.dumps(edit(envelope["manifest"]))
    manifest.write_text('{"crc32": %d, "manifest": %s}' % (zlib.crc32(inner.encode()), inner))


def test_a_library_from_a_newer_format_is_an_incompatible_format_error(fresh_library):
    _rewrite_manifest(fresh_library, lambda m: {**m, "format_version": 999})
    with pytest.raises(segue.IncompatibleFormatError, match="999"):
        segue.Library.open(fresh_library)


def test_a_damaged_manifest_is_a_corrupt_library_error(fresh_library):
    _rewrite_manifest(fresh_library, lambda m: m)  # a valid rewrite still opens
    segue.Library.open(fresh_library)
    manifest = fresh_library / "MANIFEST.json"
    text = manifest.read_text()
    assert '"rows": 1500' in text
    manifest.write_text(text.replace('"rows": 1500', '"rows": 1501', 1))  # checksum now wrong
    with pytest.raises(segue.CorruptLibraryError, match="MANIFEST"):
        segue.Library.open(fresh_library)


def test_a_library_pickles_as_its_path_and_reopens(lib):
    copy = pickle.loads(pickle.dumps(lib))
    assert isinstance(copy, segue.Library)
    assert copy.path == lib.path
    assert copy.version == lib.version
    assert copy.rows == lib.rows


def test_reopen_sees_a_newer_version_while_the_old_object_keeps_its_own(fresh_library, workdir):
    lib = segue.Library.open(fresh_library)
    more = workdir / "more.parquet"
    if not more.exists():
        # Synthetic track ids are numbered from 0: the first 1500 are already in the library.
        segue.generate_catalog(more, tracks=1800, audio_dim=AUDIO_DIM, text_dim=TEXT_DIM, seed=9)
    summary = segue.ingest(fresh_library, more, on_duplicate="skip")
    assert summary["published"] and summary["rows_added"] == 300
    assert lib.version == summary["library_version"] - 1
    newer = lib.reopen()
    assert newer.version == summary["library_version"]
    assert newer.rows == summary["total_tracks"]
    assert lib.rows == TRACKS
