#!/usr/bin/env python3
"""librosa's beat tracker as the reference for Segue's signal-based beat tracker.

For each .ogg in `--music`, loads the file with librosa (mono, 22050 Hz, librosa's default: decode
by soundfile, resampling by soxr), runs `librosa.beat.beat_track` with its default parameters
(units='time') and compares its beats with ours from `--ours`, a TSV of
`name<TAB>beat times<TAB>downbeat times` (seconds, space separated; empty when no grid) as written
by `analysis_bench --beats`.

Scores (librosa's beats are the reference, ours the estimate):
  F        MIREX-style beat F-measure: a beat of ours within ±70 ms of a reference beat is a hit,
           each reference beat matched at most once (maximum matching), F = 2PR/(P+R). No
           beats are trimmed from the start (mir_eval trims the first 5 s; `--trim 5` does that).
           0 when either side has no beats.
  F x2     against librosa's beats at double tempo (a beat inserted halfway between each pair).
  F /2     against librosa's beats at half tempo (every other beat; the better of the two phases).
  F off    against the off-beats only (the halfway points): high when our grid has librosa's
           period but the opposite phase.
  F level  max(F, F x2, F /2): agreement allowing a metrical-level (double/half) difference.
Our BPM is 60 / median inter-beat interval. librosa's BPM is the tempo `beat_track` returns (its
grid is quantised to whole onset frames of 512 samples). Tempo relation of ours to librosa's:
`same` within 4%, `double` / `half` within 4% of 2x / 0.5x, `3:2` / `2:3` likewise, else `other`;
`no grid` when either side has fewer than two beats. The summary gives F with and without the
files where neither side has a beat (silence.ogg), which score 0 here as in mir_eval.
Both trackers' periods are whole frames (librosa: 512 samples at 22050 Hz, 23.2 ms; ours: 16 ms),
so near 120 BPM neighbouring tempi are 3-5% apart, about the 4% tolerance.

Speed: wall seconds of loading (decode + resample) and of `beat_track`, per file, in this one
process, with BLAS/OpenMP held to one thread and numba's JIT compiled beforehand on a short
synthetic signal so it is not counted.

Prints a Markdown table and summary to stdout and writes a CSV to `--out`.
Run it with the venv that `scripts/bench-setup` makes:
`.bench-venv/bin/python benches/python/beats_ref.py [--music DIR] [--ours FILE] [--out CSV]`.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402

try:
    import librosa
    import numpy as np
except ImportError as e:
    sys.exit(f"beats_ref.py: {e}; run scripts/bench-setup and use .bench-venv/bin/python")

MUSIC = "/usr/share/games/wesnoth/1.16/data/core/music"
OURS = "/var/tmp/wesnoth-beats.tsv"
OUT = "benches/results/beats/wesnoth-librosa.csv"
SR = 22050
WINDOW = 0.070
TEMPO_TOLERANCE = 0.04
RELATIONS = [("same", 1.0), ("double", 2.0), ("half", 0.5), ("3:2", 1.5), ("2:3", 2.0 / 3.0)]


def read_ours(path):
    """{file name: beat times} from analysis_bench's --beats TSV."""
    ours = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            beats = fields[1].split() if len(fields) > 1 else []
            ours[fields[0]] = np.array([float(b) for b in beats])
    return ours


def hits(reference, estimate, window=WINDOW):
    """Size of a maximum matching of estimate to reference beats within ±window, each beat of
    either side used at most once. Both sorted; on a line with one window width the greedy
    two-pointer matching is a maximum one."""
    i = j = n = 0
    while i < len(reference) and j < len(estimate):
        if estimate[j] < reference[i] - window:
            j += 1
        elif estimate[j] > reference[i] + window:
            i += 1
        else:
            n += 1
            i += 1
            j += 1
    return n


def f_measure(reference, estimate, window=WINDOW):
    if len(reference) == 0 or len(estimate) == 0:
        return 0.0
    n = hits(reference, estimate, window)
    if n == 0:
        return 0.0
    precision = n / len(estimate)
    recall = n / len(reference)
    return 2 * precision * recall / (precision + recall)


def offbeats(beats):
    return (beats[:-1] + beats[1:]) / 2


def double(beats):
    if len(beats) < 2:
        return beats
    return np.sort(np.concatenate([beats, offbeats(beats)]))


def bpm_from_ibi(beats):
    if len(beats) < 2:
        return float("nan")
    return 60.0 / float(np.median(np.diff(beats)))


def relation(ours_bpm, ref_bpm):
    if not (np.isfinite(ours_bpm) and np.isfinite(ref_bpm)) or ref_bpm <= 0:
        return "no grid", float("nan")
    ratio = ours_bpm / ref_bpm
    for name, factor in RELATIONS:
        if abs(ratio / factor - 1.0) <= TEMPO_TOLERANCE:
            return name, ratio
    return "other", ratio


def warm_up():
    """Compiles librosa's numba functions (beat tracking DP) so the timings leave the JIT out."""
    y = librosa.clicks(times=np.arange(0.5, 8.0, 0.5), sr=SR, length=8 * SR)
    librosa.beat.beat_track(y=y, sr=SR, units="time")


def fmt(x, digits=3):
    return "" if not np.isfinite(x) else f"{x:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--music", default=MUSIC, help=f"folder of .ogg files (default {MUSIC})")
    parser.add_argument("--ours", default=OURS, help=f"our beats TSV (default {OURS})")
    parser.add_argument("--out", default=OUT, help=f"CSV to write (default {OUT})")
    parser.add_argument("--trim", type=float, default=0.0,
                        help="ignore beats of both sides before this time, seconds (mir_eval: 5)")
    args = parser.parse_args()

    ours_all = read_ours(args.ours)
    files = sorted(f for f in os.listdir(args.music) if f.endswith(".ogg"))
    missing = [f for f in files if f not in ours_all]
    files = [f for f in files if f in ours_all]
    if not files:
        sys.exit(f"beats_ref.py: no .ogg in {args.music} has a line in {args.ours}")

    started = time.perf_counter()
    warm_up()
    warm_up_seconds = time.perf_counter() - started

    rows = []
    for name in files:
        t0 = time.perf_counter()
        y, sr = librosa.load(os.path.join(args.music, name), sr=SR, mono=True)
        t1 = time.perf_counter()
        tempo, ref = librosa.beat.beat_track(y=y, sr=sr, units="time")
        t2 = time.perf_counter()
        duration = len(y) / sr
        est = ours_all[name]
        ref = np.asarray(ref, dtype=float)
        if args.trim > 0:
            ref, est = ref[ref >= args.trim], est[est >= args.trim]
        ref_tempo = float(np.atleast_1d(tempo)[0])
        ours_bpm = bpm_from_ibi(est)
        rel, ratio = relation(ours_bpm, ref_tempo if len(ref) >= 2 else float("nan"))
        f = f_measure(ref, est)
        f_x2 = f_measure(double(ref), est)
        f_half = max(f_measure(ref[0::2], est), f_measure(ref[1::2], est))
        f_off = f_measure(offbeats(ref), est) if len(ref) >= 2 else 0.0
        rows.append({
            "file": name,
            "duration_s": round(duration, 3),
            "ours_beats": len(est),
            "librosa_beats": len(ref),
            "ours_bpm": round(ours_bpm, 2) if np.isfinite(ours_bpm) else "",
            "librosa_bpm": round(ref_tempo, 2),
            "librosa_ibi_bpm": round(bpm_from_ibi(ref), 2) if len(ref) >= 2 else "",
            "ratio": round(ratio, 4) if np.isfinite(ratio) else "",
            "relation": rel,
            "f": round(f, 4),
            "f_double": round(f_x2, 4),
            "f_half": round(f_half, 4),
            "f_offbeat": round(f_off, 4),
            "f_level": round(max(f, f_x2, f_half), 4),
            "load_s": round(t1 - t0, 4),
            "beat_track_s": round(t2 - t1, 4),
        })
        print(f"beats_ref.py: {name}: {duration:.1f} s, F {f:.3f}, {rel}", file=sys.stderr)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    print(f"## Beats: Segue vs librosa {metadata.version('librosa')} "
          f"({len(rows)} files of {args.music})\n")
    print(f"F at ±{WINDOW * 1000:.0f} ms, librosa's beats as the reference"
          + (f", beats before {args.trim:g} s ignored" if args.trim > 0 else "") + ".\n")
    print("| file | dur s | our BPM | librosa BPM | relation | F@70ms | F x2 | F /2 | F off | F level |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ours_bpm = r["ours_bpm"] if r["ours_bpm"] != "" else float("nan")
        print(f"| {r['file']} | {r['duration_s']:.1f} | {fmt(ours_bpm, 1)} | "
              f"{r['librosa_bpm']:.1f} | {r['relation']} | {r['f']:.3f} | {r['f_double']:.3f} | "
              f"{r['f_half']:.3f} | {r['f_offbeat']:.3f} | {r['f_level']:.3f} |")

    fs = [r["f"] for r in rows]
    fl = [r["f_level"] for r in rows]
    n = len(rows)
    counts = {}
    for r in rows:
        counts[r["relation"]] = counts.get(r["relation"], 0) + 1
    order = [name for name, _ in RELATIONS] + ["other", "no grid"]
    audio = sum(r["duration_s"] for r in rows)
    load = sum(r["load_s"] for r in rows)
    track = sum(r["beat_track_s"] for r in rows)
    print()
    print(f"- F@70ms: mean {statistics.mean(fs):.3f}, median {statistics.median(fs):.3f}, "
          f"F >= 0.8 in {sum(x >= 0.8 for x in fs)}/{n} files "
          f"({100 * sum(x >= 0.8 for x in fs) / n:.0f}%)")
    print(f"- F allowing double/half: mean {statistics.mean(fl):.3f}, "
          f"median {statistics.median(fl):.3f}, F >= 0.8 in {sum(x >= 0.8 for x in fl)}/{n} files "
          f"({100 * sum(x >= 0.8 for x in fl) / n:.0f}%)")
    empty = [r for r in rows if r["ours_beats"] == 0 and r["librosa_beats"] == 0]
    if empty:
        rest = [r["f"] for r in rows if r not in empty]
        print(f"- F@70ms without the {len(empty)} file(s) where neither side has a beat "
              f"({', '.join(r['file'] for r in empty)}; F counted as 0 above): "
              f"mean {statistics.mean(rest):.3f}, median {statistics.median(rest):.3f}, "
              f"F >= 0.8 in {sum(x >= 0.8 for x in rest)}/{len(rest)} files")
    print("- tempo, ours vs librosa (4%): "
          + ", ".join(f"{k} {counts[k]}" for k in order if k in counts))
    print(f"- librosa speed (one process, one thread): {audio:.0f} s of audio; load (decode + "
          f"resample to {SR} Hz) {load:.1f} s, beat_track {track:.1f} s; "
          f"{audio / (load + track):.0f}x real time overall, {audio / track:.0f}x for beat_track "
          f"alone (numba JIT warm-up {warm_up_seconds:.1f} s, not counted)")
    if missing:
        print(f"- not in {args.ours}, skipped: {', '.join(missing)}")
    print(f"- CSV: {args.out}")


if __name__ == "__main__":
    main()
