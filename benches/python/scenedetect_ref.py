#!/usr/bin/env python3
"""PySceneDetect as the reference shot detector in Segue's video segmentation benchmark.

For each video file and each setting, runs PySceneDetect's `ContentDetector` through a
`SceneManager` (OpenCV backend, automatic downscaling: PySceneDetect's own defaults) and prints one
JSON object to stdout:

  {"scenedetect_version": v, "opencv_version": v, "opencv_threads": n,
   "settings": {"default": {"threshold": 27.0, "min_scene_len": 15}, ...},
   "files": [{"path": p, "fps": f, "frames": n,
              "results": {"default": {"cuts": [s, ...], "seconds": s}, ...}}, ...]}

`cuts` are the start times (seconds) of every scene but the first; `seconds` is the wall time of
opening the video and detecting (the least over `--runs` runs), measured in this process, so
Python's start-up and imports are not in it.

Settings:
  default    ContentDetector() as shipped: threshold 27, min_scene_len 15 frames.
  jenbridge  threshold 30, min_scene_len 8 s (JenBridge, appendix B.2: "we set the detection
             threshold parameter of the ContentDetector class to 30 ... we enforce a minimum scene
             length of 8 seconds"). PySceneDetect 0.7 reads a float min_scene_len as seconds.

Run it with the venv that `scripts/bench-setup` makes:
`.bench-venv/bin/python benches/python/scenedetect_ref.py [--runs N] [--settings a,b] FILE...`.
"""

import argparse
import json
import sys
import time
from importlib import metadata

try:
    import cv2
    from scenedetect import ContentDetector, SceneManager, open_video
except ImportError as e:
    sys.exit(
        f"scenedetect_ref.py: {e}; run scripts/bench-setup and use .bench-venv/bin/python"
    )

SETTINGS = {
    "default": {"threshold": 27.0, "min_scene_len": 15},
    "jenbridge": {"threshold": 30.0, "min_scene_len": 8.0},
}


def detect(path, setting):
    """Cut times (seconds), frames read, frame rate and wall seconds of one detection."""
    started = time.perf_counter()
    video = open_video(path, backend="opencv")
    manager = SceneManager()
    manager.add_detector(ContentDetector(**SETTINGS[setting]))
    frames = manager.detect_scenes(video=video)
    scenes = manager.get_scene_list()
    seconds = time.perf_counter() - started
    cuts = [start.seconds for start, _ in scenes[1:]]
    return cuts, frames, float(video.frame_rate), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--runs", type=int, default=1, help="keep the least time of this many runs")
    parser.add_argument("--settings", default="default,jenbridge")
    args = parser.parse_args()
    settings = args.settings.split(",")
    for s in settings:
        if s not in SETTINGS:
            sys.exit(f"scenedetect_ref.py: unknown setting {s!r} (one of {', '.join(SETTINGS)})")
    if args.runs < 1:
        sys.exit("scenedetect_ref.py: --runs must be at least 1")
    files = []
    for path in args.files:
        results = {}
        for s in settings:
            best = None
            for _ in range(args.runs):
                cuts, frames, fps, seconds = detect(path, s)
                if best is not None and cuts != best["cuts"]:
                    sys.exit(f"scenedetect_ref.py: {path}: two runs of {s} found different cuts")
                if best is None or seconds < best["seconds"]:
                    best = {"cuts": cuts, "seconds": seconds}
            results[s] = best
        print(f"scenedetect_ref.py: {path}: {frames} frames", file=sys.stderr)
        files.append({"path": path, "fps": fps, "frames": frames, "results": results})
    json.dump(
        {
            "scenedetect_version": metadata.version("scenedetect"),
            "opencv_version": cv2.__version__,
            "opencv_threads": cv2.getNumThreads(),
            "settings": {s: SETTINGS[s] for s in settings},
            "files": files,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
