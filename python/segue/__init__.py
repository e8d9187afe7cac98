"""Segue: choose background music for video from stock-music catalogues, in-process.

The engine is Rust; this package calls it directly (no subprocess, no server). Ingest a
catalogue into a library on disk, open the library, search it (hits come back as pyarrow
Tables), plan soundtracks for videos, fit and evaluate. Calls release the GIL, so threads
search and plan in parallel, and every object can be shared between threads.

    import numpy as np, segue
    segue.ingest("lib", "catalog.parquet")
    lib = segue.Library.open("lib")
    hits = lib.search(vector=np.ones(lib.dims["audio"], dtype=np.float32), k=5)
"""

from segue import errors
from segue._segue import (
    Library,
    Planner,
    __version__,
    generate_catalog,
    generate_videos,
    sum_text_statistics,
)
from segue._segue import evaluate as _evaluate
from segue._segue import fit as _fit
from segue._segue import ingest as _ingest
from segue.errors import (
    BadInputError,
    CancelledError,
    CorruptLibraryError,
    IncompatibleFormatError,
    LibraryLockedError,
    ModelError,
    NotALibraryError,
    SegueError,
    SegueIOError,
)

__all__ = [
    "Library",
    "Planner",
    "ingest",
    "fit",
    "evaluate",
    "generate_catalog",
    "generate_videos",
    "sum_text_statistics",
    "errors",
    "SegueError",
    "BadInputError",
    "NotALibraryError",
    "CorruptLibraryError",
    "IncompatibleFormatError",
    "LibraryLockedError",
    "SegueIOError",
    "ModelError",
    "CancelledError",
    "__version__",
]


def ingest(
    library,
    catalog,
    *,
    format="auto",
    on_duplicate="error",
    skip_bad_rows=False,
    rejects=None,
    audio_emb=None,
    text_emb=None,
    audio_dim=None,
    text_dim=None,
    batch_rows=8192,
    index=True,
    quantise=None,
    progress=False,
    on_progress=None,
):
    """Ingests ``catalog`` into the library in ``library`` (created when missing) as one new
    version and returns its summary as a dict (``segue ingest --json``'s).

    ``format``: auto, generic, jamendo, spotify. ``on_duplicate``: error, skip, replace (a row
    whose track id is already in the library). ``skip_bad_rows`` ingests the good rows and
    writes each bad one to ``rejects`` (default ``LIBRARY/reports/...-rejects.jsonl``).
    ``audio_emb``/``text_emb``: embedding files (``.npy``, or raw float32 with ``audio_dim``/
    ``text_dim``) in catalogue row order. ``index=False`` skips building the search indexes.
    ``quantise``: ``"int8"`` keeps an int8 copy of the vectors that searches walk and scan (a
    quarter of the memory; the final candidates are re-ranked on float32), ``"none"`` drops it;
    by default the library keeps its choice (a new library: none).

    ``progress=True`` draws a tqdm bar (a plain line on stderr without tqdm);
    ``on_progress(report)`` receives ``rows_read``, ``done``, ``total`` and
    ``audio_analyzed`` after every batch and cancels the ingest by returning ``False``
    (``CancelledError``); an exception it raises stops the ingest and is re-raised. Nothing is
    published unless the whole ingest succeeds. Bad rows raise ``BadInputError`` naming the
    file, row and field.
    """
    if progress and on_progress is not None:
        raise BadInputError("give progress=True or on_progress, not both")
    bar = _ProgressBar() if progress else None
    try:
        return _ingest(
            library,
            catalog,
            format=format,
            on_duplicate=on_duplicate,
            skip_bad_rows=skip_bad_rows,
            rejects=rejects,
            audio_emb=audio_emb,
            text_emb=text_emb,
            audio_dim=audio_dim,
            text_dim=text_dim,
            batch_rows=batch_rows,
            index=index,
            quantise=quantise,
            on_progress=bar or on_progress,
        )
    finally:
        if bar is not None:
            bar.close()


def fit(library, videos):
    """Fits the soundtrack model of ``library`` (a ``Library`` or its path) on ``videos`` (a
    path to a ``.json``/``.jsonl`` file, a dict, a JSON string, or a list of dicts or JSON
    strings) and publishes it as a new version; returns what was fitted."""
    return _fit(_library_path(library), videos)


def evaluate(library, videos, **options):
    """Plans every video with every policy on ``library`` (a ``Library`` or its path) and
    returns ``{"rows": [...], "summaries": [...]}``; options as ``Planner.plan``'s, plus
    ``policies`` (default random, greedy-all, beam) and ``models_dir``."""
    return _evaluate(_library_path(library), videos, **options)


def _library_path(library):
    return library.path if isinstance(library, Library) else library


def _reopen_library(path, models_dir=None):
    """How a pickled ``Library`` comes back: its directory, opened again."""
    return Library.open(path, models_dir=models_dir)


class _ProgressBar:
    """A progress callback drawing a tqdm bar, or a plain stderr line without tqdm."""

    def __init__(self):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        self._bar = tqdm(total=0, unit_scale=True, desc="ingest") if tqdm else None

    def __call__(self, report):
        if self._bar is not None:
            self._bar.total = report["total"]
            self._bar.n = report["done"]
            self._bar.set_postfix(rows=report["rows_read"], refresh=False)
            self._bar.refresh()
        else:
            import sys

            share = report["done"] / report["total"] if report["total"] else 1.0
            print(f"\ringest: {report['rows_read']} rows ({share:.0%})", end="", file=sys.stderr)
        return True

    def close(self):
        if self._bar is not None:
            self._bar.close()
        else:
            import sys

            print(file=sys.stderr)
