# Type stubs of the extension module (python/src/*.rs). Keep in step with the Rust signatures:
# tests/test_stubs.py checks that every name and keyword here exists at run time.
import os
import pathlib
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__version__: str

PathLike = Union[str, "os.PathLike[str]"]
Video = Union[Dict[str, Any], str, PathLike]
Videos = Union[Video, Sequence[Union[Dict[str, Any], str]]]
Field = Literal[
    "title", "artist", "album", "duration_s", "bpm", "energy", "has_vocals", "tags", "caption",
    "key", "tempo_stability", "loudness_db",
]
Policy = Union[Literal["random", "greedy-aligned", "greedy-all", "beam"], str]

class Library:
    """One version of a library on disk, open for reading; safe to share between threads.

    Pickles as its path: the copy opens the library's current version.
    """

    @staticmethod
    def open(path: PathLike, *, models_dir: Optional[PathLike] = None) -> "Library":
        """Opens the current version of the library in ``path`` (``NotALibraryError`` when it
        is not one, ``CorruptLibraryError``/``IncompatibleFormatError`` when its files are
        damaged or newer). ``models_dir``: where the text encoder's files are."""
    @property
    def path(self) -> pathlib.Path:
        """The library's directory."""
    @property
    def version(self) -> int:
        """The published version this object reads (it keeps reading it after a writer
        publishes the next; ``reopen()`` gives the newest)."""
    @property
    def rows(self) -> int:
        """Tracks in this version."""
    @property
    def dims(self) -> Dict[str, Optional[int]]:
        """The dimensions of the embedding spaces, ``{"audio": 128, "text": 64}``."""
    def info(self) -> Dict[str, Any]:
        """What the library holds (``segue info --json``)."""
    def verify(self) -> Dict[str, Any]:
        """Re-reads every derived file against its checksum (``CorruptLibraryError`` naming
        the file when one differs); returns ``info()`` with ``verified`` true."""
    def reopen(self) -> "Library":
        """The library's current version."""
    def search(
        self,
        *,
        vector: Optional[npt.NDArray[np.float32]] = None,
        text: Optional[str] = None,
        like: Optional[Union[str, Sequence[str]]] = None,
        unlike: Optional[Union[str, Sequence[str]]] = None,
        strategy: Literal["average-vector", "best-score"] = "average-vector",
        tags: Optional[str] = None,
        filter: Optional[str] = None,
        k: Optional[int] = None,
        ef: Optional[int] = None,
        exact: bool = False,
        space: Optional[Literal["audio", "text"]] = None,
        rrf_k: Optional[float] = None,
        fields: Optional[Sequence[Field]] = None,
        diversify: Optional[str] = None,
        pool: Optional[int] = None,
        diversity_space: Optional[Literal["audio", "text"]] = None,
        max_per_artist: Optional[int] = None,
        max_per_album: Optional[int] = None,
        max_per_tag: Optional[Union[Mapping[str, int], Sequence[str]]] = None,
        exclude_ids: Optional[Union[str, Sequence[str]]] = None,
        exclude_artists: Optional[Union[str, Sequence[str]]] = None,
        sort: Optional[str] = None,
        text_statistics: Optional[Dict[str, Any]] = None,
        output: Literal["table", "dicts"] = "table",
    ) -> Union[pa.Table, List[Dict[str, Any]]]:
        """The ``k`` (default 10) best tracks for one query, best first.

        The query is one of ``vector`` (a 1-D float32 array in the audio or text space, told
        apart by its dimension or by ``space``), ``text`` (a prompt for the library's text
        encoder) and ``like`` (track ids, with ``unlike`` ones), optionally with ``tags`` (a
        word query: alone a word search, with the others a hybrid search); ``filter`` is the
        filter language (``bpm >= 90 AND NOT tag:vocals``). ``exact`` scans every allowed track
        instead of the graph; ``ef`` sets the graph search's candidate list. A ``filter`` or a
        ``sort`` alone browses: the tracks the filter allows, in library order or by ``sort``
        (``"bpm"``, ``"-bpm"``, ``"duration_s:desc"``).

        Diversity and caps rerank a pool of ``pool`` candidates (default ``max(10·k, 100)``):
        ``diversify="mmr"`` / ``"mmr:0.7"`` (maximal marginal relevance, λ in [0, 1]) or
        ``"dpp"`` / ``"dpp:0.9"`` (determinantal point process, θ in [0, 1]), measured in
        ``diversity_space``; ``max_per_artist``, ``max_per_album`` and ``max_per_tag``
        (``{"genre": 3}`` or ``["genre:3", "genre:rock:2"]``) cap the hits; ``exclude_ids`` and
        ``exclude_artists`` are never returned. ``k`` hits come back whenever ``k`` tracks
        qualify.

        ``text_statistics`` scores the ``tags`` query's BM25 with corpus statistics from
        outside this library: the sum (``sum_text_statistics``) of every shard's
        ``text_statistics(tags)``, so that a shard of a sharded catalogue scores as the whole.

        Returns a pyarrow Table (columns ``rank``, ``track_id``, ``score`` (the relevance),
        ``row``, with a rerank also ``pool_rank`` and ``rerank_score``, and the ``fields``), or
        a list of dicts with ``output="dicts"``.
        """
    def text_statistics(self, tags: str) -> Dict[str, Any]:
        """The corpus statistics BM25 scores the word query ``tags`` with here: documents,
        tokens per field and documents per term (``{"docs": n, "tokens": {...},
        "doc_freqs": {...}}``)."""
    def search_batch(
        self,
        vectors: npt.NDArray[np.float32],
        *,
        tags: Optional[str] = None,
        filter: Optional[str] = None,
        k: Optional[int] = None,
        ef: Optional[int] = None,
        exact: bool = False,
        space: Optional[Literal["audio", "text"]] = None,
        rrf_k: Optional[float] = None,
        fields: Optional[Sequence[Field]] = None,
        diversify: Optional[str] = None,
        pool: Optional[int] = None,
        diversity_space: Optional[Literal["audio", "text"]] = None,
        max_per_artist: Optional[int] = None,
        max_per_album: Optional[int] = None,
        max_per_tag: Optional[Union[Mapping[str, int], Sequence[str]]] = None,
        exclude_ids: Optional[Union[str, Sequence[str]]] = None,
        exclude_artists: Optional[Union[str, Sequence[str]]] = None,
        threads: int = 0,
        output: Literal["table", "dicts"] = "table",
    ) -> Union[pa.Table, List[Dict[str, Any]]]:
        """One search per row of ``vectors`` (2-D, float32, C-contiguous), on ``threads``
        threads (0: one per core); one table of all hits whose ``query`` column is the row. The
        other options are ``search``'s, applied to every query."""
    def vectors(
        self, rows: Sequence[int], *, space: Literal["audio", "text"] = "audio"
    ) -> npt.NDArray[np.float32]:
        """The stored vectors of ``rows`` (the ``row`` column of hits) in ``space``, as a
        ``(len(rows), dim)`` float32 array (unit length: the engine normalises at ingest)."""
    def planner(self) -> "Planner":
        """A planner on this version of the library."""

class Planner:
    """Plans soundtracks on one library version; safe to share between threads."""

    @property
    def version(self) -> int:
        """The library version it plans on."""
    def plan(
        self,
        video: Video,
        *,
        policy: Policy = "beam",
        filter: Optional[str] = None,
        exact: bool = False,
        candidates: Optional[int] = None,
        exact_candidates: bool = False,
        beam_width: Optional[int] = None,
        seed: int = 0,
        sample: bool = False,
        max_per_artist: Optional[int] = None,
        exclude_ids: Optional[Union[str, Sequence[str]]] = None,
        diversify: Optional[str] = None,
        diversify_keep: Optional[int] = None,
        motion_energy: float = 0.0,
        arrange: bool = True,
        output: Literal["dict", "table"] = "dict",
    ) -> Union[Dict[str, Any], pa.Table]:
        """The soundtrack plan of one video (a dict, a JSON string, or a path to a file with
        one video). ``policy``: random, greedy-aligned, greedy-all, beam or
        ``policy:FILE.onnx``. ``candidates`` per segment come from the graphs, or from exact scans
        with ``exact_candidates`` (the true best; what a sharded catalogue matches exactly).
        ``max_per_artist`` caps the distinct tracks of one artist in the
        plan and ``exclude_ids`` are never placed (e.g. the tracks of your last videos), for
        every policy. ``diversify`` (``"mmr[:LAMBDA]"`` away from the plan's tracks,
        ``"theme[:LAMBDA]"`` toward their centroid) reranks each step's new tracks and keeps
        the best ``diversify_keep`` (default 8) for the policy to choose from.
        ``motion_energy`` weighs pairing each segment's ``motion`` with its track's energy
        (0 keeps the reference objective). ``arrange=False`` leaves out the arrangement
        (beat-matched transitions, bridge tracks, the edit list ``render`` plays): each
        segment's ``offset`` is then where the sequencer's episode played its track from, as a
        sharded catalogue's plan gives it. Returns the plan as a dict (``segments``,
        ``total_reward``, ``switches``, ...) or, with ``output="table"``, one row per segment."""
    def plan_batch(
        self,
        videos: Videos,
        *,
        policy: Policy = "beam",
        filter: Optional[str] = None,
        exact: bool = False,
        candidates: Optional[int] = None,
        exact_candidates: bool = False,
        beam_width: Optional[int] = None,
        seed: int = 0,
        sample: bool = False,
        max_per_artist: Optional[int] = None,
        exclude_ids: Optional[Union[str, Sequence[str]]] = None,
        no_repeat_across_videos: bool = False,
        diversify: Optional[str] = None,
        diversify_keep: Optional[int] = None,
        motion_energy: float = 0.0,
        arrange: bool = True,
        output: Literal["dicts", "table"] = "dicts",
    ) -> Union[List[Dict[str, Any]], pa.Table]:
        """The plans of several videos (a list of dicts, JSON Lines text, or a path to a
        ``.json`` or ``.jsonl`` file), planned in order as one batch, e.g. one channel's
        videos: with ``no_repeat_across_videos`` no track is placed in two of them. The other
        options are ``plan``'s. Returns a list of plans or, with ``output="table"``, one row
        per segment of every plan (``video_id`` tells them apart)."""
    def render(
        self,
        plan: Union[Dict[str, Any], str, PathLike],
        out: PathLike,
        *,
        otio: Optional[PathLike] = None,
        target_lufs: float = -16.0,
        normalise: bool = True,
        sample_rate: int = 44100,
        audio_dir: Optional[PathLike] = None,
    ) -> Dict[str, Any]:
        """Renders a plan (a dict from ``plan``, its JSON text, or a path to a file holding
        one) from the library's audio files to ``out`` (``.wav`` or ``.flac``, 16-bit stereo),
        loudness-normalised to ``target_lufs`` (EBU R128) unless ``normalise=False``, without
        clipping; with ``otio`` also writes the edit list as OpenTimelineIO. Returns the
        summary (seconds, loudness before and after, wall times, real-time factor)."""
    def export_otio(
        self,
        plan: Union[Dict[str, Any], str, PathLike],
        path: PathLike,
        *,
        sample_rate: int = 44100,
        audio_dir: Optional[PathLike] = None,
    ) -> None:
        """Writes a plan's edit list as OpenTimelineIO JSON (two audio tracks, clips with their
        gain envelope in metadata, a marker per transition); clips of tracks without an audio
        file get a missing media reference."""
    def candidate_hits(
        self,
        queries: Sequence[Sequence[Tuple[str, Sequence[float]]]],
        fetch: int,
        *,
        filter: Optional[str] = None,
        exclude_ids: Optional[Union[str, Sequence[str]]] = None,
        exact_candidates: bool = False,
    ) -> List[List[Tuple[np.ndarray, np.ndarray]]]:
        """A shard's answer to a router's candidate queries (``ShardedPlanner.segment_queries``):
        per segment, per query, its best ``fetch`` rows and their scores among the rows
        ``filter`` allows less ``exclude_ids`` (a segment without queries: its first allowed
        rows)."""
    def gather_tracks(self, rows: Sequence[int], global_rows: np.ndarray) -> Dict[str, Any]:
        """What a router plans with for ``rows`` (``global_rows[i]`` is ``rows[i]``'s global
        row): ``global_row``, ``track_id``, ``title``, ``artist``, ``duration_s``, the unit
        ``audio``/``text`` rows with their raw ``*_norm``, and ``features`` (bpm, energy,
        spectral centroid, duration, 13 MFCCs)."""
    def energy_counts(self, values: Sequence[float]) -> Tuple[np.ndarray, np.ndarray]:
        """Per energy value, how many tracks have a lower and how many an equal energy."""
    def fit_json(self) -> Optional[str]:
        """The library's soundtrack fit as JSON text, or None."""

class ShardedPlanner:
    """The soundtrack planner of a sharded catalogue's router (``segue.cluster.Router.plan``
    drives it): plans over tracks gathered from the shards, as the single library would."""

    def __init__(
        self, dims: Dict[str, Optional[int]], fit: Optional[str], version: int
    ) -> None: ...
    def segment_queries(self, video: Video) -> List[List[Tuple[str, np.ndarray]]]:
        """Per segment, its candidate queries ``(space, unit vector)``."""
    def plan(
        self,
        video: Video,
        tracks: Dict[str, Any],
        merged: Sequence[Sequence[int]],
        *,
        policy: Policy = "beam",
        candidates: Optional[int] = None,
        beam_width: Optional[int] = None,
        seed: int = 0,
        max_per_artist: Optional[int] = None,
        diversify: Optional[str] = None,
        diversify_keep: Optional[int] = None,
        motion_energy: float = 0.0,
    ) -> Dict[str, Any]:
        """The plan of ``video`` over the gathered ``tracks`` with ``merged`` candidate global
        rows per segment; segment rows are global rows."""

def merge_candidate_hits(
    shards: Sequence[Sequence[Sequence[Tuple[np.ndarray, np.ndarray]]]], fetch: int
) -> List[np.ndarray]:
    """Per segment, the union of each query's best ``fetch`` global rows over the shards (by
    score, ties to the lower global row)."""

def energy_ranks_from_counts(less: np.ndarray, equal: np.ndarray, n: int) -> np.ndarray:
    """Catalogue-wide energy ranks from the shards' summed ``energy_counts``."""

DEFAULT_CANDIDATES: int

def ingest(
    library: PathLike,
    catalog: PathLike,
    *,
    format: Literal["auto", "generic", "jamendo", "spotify"] = "auto",
    on_duplicate: Literal["error", "skip", "replace"] = "error",
    skip_bad_rows: bool = False,
    rejects: Optional[PathLike] = None,
    audio_emb: Optional[PathLike] = None,
    text_emb: Optional[PathLike] = None,
    audio_dim: Optional[int] = None,
    text_dim: Optional[int] = None,
    batch_rows: int = 8192,
    index: bool = True,
    quantise: Optional[Literal["none", "int8"]] = None,
    on_progress: Optional[Callable[[Dict[str, int]], Optional[bool]]] = None,
) -> Dict[str, Any]:
    """Ingests a catalogue as one new library version; see ``segue.ingest``."""

def sum_text_statistics(parts: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The sum of several libraries' ``text_statistics`` for one query: the statistics of
    their union (a sharded catalogue's, gathered from its shards)."""

def fit(library: PathLike, videos: Videos) -> Dict[str, Any]:
    """Fits the library's soundtrack model on videos and publishes it as a new version."""

def evaluate(
    library: PathLike,
    videos: Videos,
    *,
    policies: Sequence[Policy] = ("random", "greedy-all", "beam"),
    filter: Optional[str] = None,
    exact: bool = False,
    candidates: Optional[int] = None,
    beam_width: Optional[int] = None,
    seed: int = 0,
    sample: bool = False,
    max_per_artist: Optional[int] = None,
    exclude_ids: Optional[Union[str, Sequence[str]]] = None,
    no_repeat_across_videos: bool = False,
    diversify: Optional[str] = None,
    diversify_keep: Optional[int] = None,
    motion_energy: float = 0.0,
    models_dir: Optional[PathLike] = None,
) -> Dict[str, List[Dict[str, Any]]]:
    """Plans every video with every policy: ``{"rows": [...], "summaries": [...]}``. The
    constraints are ``Planner.plan_batch``'s, applied to each policy's batch of videos."""

def generate_catalog(
    path: PathLike,
    *,
    tracks: int,
    audio_dim: int = 0,
    text_dim: int = 0,
    seed: int = 0,
    clusters: int = 24,
) -> Dict[str, int]:
    """Writes a seeded synthetic catalogue (Parquet)."""

def generate_videos(
    path: PathLike,
    library: PathLike,
    *,
    count: int,
    seed: int = 0,
    anchors: int = 64,
    min_segments: int = 5,
    max_segments: int = 60,
) -> Dict[str, int]:
    """Writes seeded synthetic videos (JSON Lines) near tracks of ``library``."""
