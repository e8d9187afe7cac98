"""Ingesting from Python: summaries, progress, cancelling, and errors that name the file, row
and field while publishing nothing."""

import numpy as np
import pytest

import segue
from conftest import AUDIO_DIM, TEXT_DIM


def test_an_ingest_returns_its_summary_and_reports_progress(tmp_path, catalog):
    reports = []
    summary = segue.ingest(tmp_path / "lib", catalog, batch_rows=256, on_progress=reports.append)
    assert summary["published"] is True
    assert summary["rows_added"] == summary["total_tracks"] == 1500
    assert len(reports) >= 2
    assert [r["rows_read"] for r in reports] == sorted(r["rows_read"] for r in reports)
    assert reports[-1]["rows_read"] == 1500
    assert reports[-1]["done"] == reports[-1]["total"] > 0
    assert set(reports[0]) == {"rows_read", "done", "total", "audio_analyzed"}


def test_progress_true_draws_a_bar_and_ingests(tmp_path, catalog, capsys):
    summary = segue.ingest(tmp_path / "lib", catalog, progress=True, index=False)
    assert summary["published"]
    assert "ingest" in capsys.readouterr().err


def test_a_callback_returning_false_cancels_and_nothing_is_published(fresh_library, workdir):
    before = segue.Library.open(fresh_library).version
    more = workdir / "more-cancel.parquet"
    segue.generate_catalog(more, tracks=2000, audio_dim=AUDIO_DIM, text_dim=TEXT_DIM, seed=5)
    with pytest.raises(segue.CancelledError, match="cancelled"):
        segue.ingest(fresh_library, more, batch_rows=200, on_duplicate="skip",
                     on_progress=lambda r: r["rows_read"] < 600)
    assert segue.Library.open(fresh_library).version == before


def test_an_exception_in_the_callback_stops_the_ingest_and_is_raised(fresh_library, catalog):
    class Stop(Exception):
        pass

    def explode(report):
        raise Stop("from the callback")

    before = segue.Library.open(fresh_library).version
    with pytest.raises(Stop, match="from the callback"):
        segue.ingest(fresh_library, catalog, on_duplicate="skip", on_progress=explode)
    assert segue.Library.open(fresh_library).version == before


def test_a_bad_row_names_the_file_row_and_field(tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("track_id,duration_s,bpm\na,120,90\nb,130,fast\n")
    with pytest.raises(segue.BadInputError) as e:
        segue.ingest(tmp_path / "lib", csv)
    message = str(e.value)
    assert "bad.csv" in message and "row 2" in message and "bpm" in message, message
    assert not (tmp_path / "lib" / "MANIFEST.json").exists()
    # With skip_bad_rows the good row is ingested and the bad one reported.
    rejects = tmp_path / "rejects.jsonl"
    summary = segue.ingest(tmp_path / "lib", csv, skip_bad_rows=True, rejects=rejects)
    assert summary["rows_added"] == 1 and summary["rows_rejected"] == 1
    assert "bpm" in rejects.read_text()


def test_duplicates_follow_on_duplicate(fresh_library, catalog):
    with pytest.raises(segue.BadInputError, match="duplicate|already"):
        segue.ingest(fresh_library, catalog)
    assert segue.ingest(fresh_library, catalog, on_duplicate="skip")["rows_skipped_duplicate"] == 1500


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"format": "xml"}, segue.BadInputError, "unknown format"),
        ({"on_duplicate": "merge"}, segue.BadInputError, "unknown duplicate policy"),
        ({"batch_rows": 0}, segue.BadInputError, "batch_rows"),
        ({"quantise": "int4"}, segue.BadInputError, "quantise"),
        ({"on_progress": 3}, segue.BadInputError, "callable"),
        ({"progress": True, "on_progress": print}, segue.BadInputError, "not both"),
        ({"colour": "red"}, TypeError, "colour"),
    ],
)
def test_bad_ingest_options_are_refused_before_any_work(tmp_path, catalog, kwargs, error, message):
    with pytest.raises(error, match=message):
        segue.ingest(tmp_path / "lib", catalog, **kwargs)
    assert not (tmp_path / "lib").exists() or not (tmp_path / "lib" / "MANIFEST.json").exists()


def test_a_missing_catalogue_is_an_error_naming_it(tmp_path):
    with pytest.raises(segue.SegueError, match="absent.csv") as e:
        segue.ingest(tmp_path / "lib", tmp_path / "absent.csv")
    assert isinstance(e.value, (segue.BadInputError, segue.SegueIOError))


def test_an_int8_library_searches_with_the_same_best_hit(tmp_path, catalog):
    segue.ingest(tmp_path / "lib", catalog, quantise="int8")
    lib = segue.Library.open(tmp_path / "lib")
    assert any("int8 copy" in b for b in lib.info()["built"])
    q = np.arange(AUDIO_DIM, dtype=np.float32)
    plain = lib.search(vector=q, k=5, exact=True, output="dicts")
    quick = lib.search(vector=q, k=5, output="dicts")
    assert quick[0]["track_id"] == plain[0]["track_id"]
