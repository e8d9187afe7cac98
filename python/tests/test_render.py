"""A plan's edit list: its arrangement in the plan dict, its OpenTimelineIO export read back by
PyPI's opentimelineio, and the errors of rendering a library without audio files."""

import json

import opentimelineio as otio
import pytest

import segue


@pytest.fixture(scope="module")
def plan(lib, videos_file):
    video = json.loads(videos_file.read_text().splitlines()[0])
    return lib.planner().plan(video, policy="greedy-all")


def test_the_plan_carries_transitions_and_an_edit_list_covering_the_video(plan):
    arrangement = plan["arrangement"]
    end = plan["segments"][-1]["end"]
    assert arrangement["duration"] == pytest.approx(end)
    clips, transitions = arrangement["clips"], arrangement["transitions"]
    # A bridge plays a third track's clip between the two sides.
    bridges = [t["bridge"] for t in transitions if "bridge" in t]
    assert len(clips) == len(transitions) + 1 + len(bridges)
    assert clips[0]["timeline_in"] == pytest.approx(plan["segments"][0]["start"])
    assert clips[-1]["timeline_out"] == pytest.approx(end)
    mains = [c for c in clips if c["role"] == "main"]
    for t, (a, b) in zip(transitions, zip(mains, mains[1:])):
        assert t["kind"] in {"cut", "crossfade", "fade", "gap", "bridge"}
        assert t["out_end"] == pytest.approx(a["timeline_out"])
        assert t["in_start"] == pytest.approx(b["timeline_in"])
    for c in clips:
        span = c["timeline_out"] - c["timeline_in"]
        assert c["source_out"] - c["source_in"] == pytest.approx(span)


def test_the_otio_export_loads_in_opentimelineio_with_every_clip_in_place(lib, plan, tmp_path):
    path = tmp_path / "plan.otio"
    lib.planner().export_otio(plan, path, sample_rate=48000)
    timeline = otio.adapters.read_from_file(str(path))
    tracks = list(timeline.tracks)
    assert [t.kind for t in tracks] == [otio.schema.TrackKind.Audio] * 2
    clips = plan["arrangement"]["clips"]
    placed = []
    for track in tracks:
        for i, item in enumerate(track):
            if isinstance(item, otio.schema.Clip):
                start = track.range_of_child_at_index(i).start_time.to_seconds()
                placed.append((start, item))
    placed.sort(key=lambda p: p[0])
    assert len(placed) == len(clips)
    for (start, item), clip in zip(placed, clips):
        assert item.name == clip["track_id"]
        assert start == pytest.approx(clip["timeline_in"], abs=1 / 48000)
        assert item.source_range.start_time.to_seconds() == pytest.approx(
            clip["source_in"], abs=1 / 48000
        )
        assert item.source_range.duration.to_seconds() == pytest.approx(
            clip["timeline_out"] - clip["timeline_in"], abs=1 / 48000
        )
        # The generated catalogue has no audio files.
        assert isinstance(item.media_reference, otio.schema.MissingReference)
        assert item.metadata["segue"]["fade_out_s"] == pytest.approx(clip["fade_out"]["seconds"])
    for track in tracks:
        assert track.duration().to_seconds() == pytest.approx(plan["arrangement"]["duration"], abs=1e-3)
    kinds = [m.name for m in timeline.tracks.markers]
    assert kinds == [t["kind"] for t in plan["arrangement"]["transitions"]]


def test_a_plan_without_arrangement_keeps_the_episodes_offsets_and_cannot_render(
    lib, videos_file, plan, tmp_path
):
    video = json.loads(videos_file.read_text().splitlines()[0])
    bare = lib.planner().plan(video, policy="greedy-all", arrange=False)
    assert "arrangement" not in bare
    assert [(s["action"], s["track_id"], s["reward"]) for s in bare["segments"]] == [
        (s["action"], s["track_id"], s["reward"]) for s in plan["segments"]
    ]
    assert bare["total_reward"] == plan["total_reward"]
    # The episode plays a continued track on from where the previous segment left it.
    for before, seg in zip(bare["segments"], bare["segments"][1:]):
        if seg["action"] == "continue":
            played = before["end"] - before["start"]
            assert seg["offset"] == pytest.approx(before["offset"] + played)
        else:
            assert seg["offset"] == 0.0
    with pytest.raises(segue.BadInputError, match="planned without arrangement"):
        lib.planner().render(bare, tmp_path / "mix.wav")
    assert not (tmp_path / "mix.wav").exists()


def test_rendering_without_audio_files_names_the_track(lib, plan, tmp_path):
    with pytest.raises(segue.BadInputError, match="no audio file"):
        lib.planner().render(plan, tmp_path / "mix.wav")
    assert not (tmp_path / "mix.wav").exists()
    with pytest.raises(segue.BadInputError, match="write .wav or .flac"):
        lib.planner().render(plan, tmp_path / "mix.mp3")
    unknown = json.loads(json.dumps(plan))
    unknown["arrangement"]["clips"][0]["track_id"] = "no-such-track"
    with pytest.raises(segue.BadInputError, match="no-such-track"):
        lib.planner().export_otio(unknown, tmp_path / "x.otio")
    old = {k: v for k, v in plan.items() if k != "arrangement"}
    with pytest.raises(segue.BadInputError, match="no edit list"):
        lib.planner().export_otio(old, tmp_path / "x.otio")
