"""Planning, fitting and evaluating from Python."""

import json

import pyarrow as pa
import pytest

import segue


def without_timing(plan):
    """A plan without its wall-clock timing (the one part that differs between runs)."""
    return {k: v for k, v in plan.items() if k != "timing"}


def first_video(videos_file):
    return json.loads(videos_file.read_text().splitlines()[0])


def test_a_plan_from_a_dict_a_json_string_and_a_file_is_the_same(lib, videos_file, tmp_path):
    planner = lib.planner()
    assert planner.version == lib.version
    video = first_video(videos_file)
    plan = planner.plan(video)
    assert plan["video_id"] == video["id"]
    assert len(plan["segments"]) == len(video["segments"])
    assert "timing" in plan
    plan = without_timing(plan)
    assert plan == without_timing(planner.plan(json.dumps(video)))
    one = tmp_path / "one.json"
    one.write_text(json.dumps(video))
    assert plan == without_timing(planner.plan(one))
    assert plan == without_timing(planner.plan(str(one)))


def test_policies_and_the_table_form(lib, videos_file):
    planner = lib.planner()
    video = first_video(videos_file)
    returns = {p: planner.plan(video, policy=p)["total_reward"]
               for p in ("random", "greedy-aligned", "greedy-all", "beam")}
    assert returns["beam"] >= returns["greedy-all"] - 1e-9
    table = planner.plan(video, policy="greedy-all", output="table")
    assert isinstance(table, pa.Table)
    assert table.num_rows == len(video["segments"])
    assert "track_id" in table.column_names
    seeded = planner.plan(video, policy="random", seed=4)
    assert without_timing(seeded) == without_timing(planner.plan(video, policy="random", seed=4))


@pytest.mark.parametrize(
    "video, message",
    [
        ({"id": "v", "segments": []}, "segment"),
        ({"id": "v", "segments": [{"start": 0, "end": "x"}]}, "end"),
        ({"id": "v", "segments": [{"start": 0, "end": 5, "audio_emb": [1.0, 2.0]}]}, "audio_emb"),
        ({"id": "v", "segments": [{"start": 5, "end": 1, "audio_emb": [1.0] * 32}]}, "end"),
        ({"id": "v", "colour": 1, "segments": []}, "colour"),
        ('{"id": "v", "segments": [', "EOF|end of"),
        ([], "empty"),
        (3, "a video is a dict"),
    ],
)
def test_a_bad_video_is_a_bad_input_error_naming_the_field(lib, video, message):
    with pytest.raises(segue.BadInputError, match=message):
        lib.planner().plan(video)


def test_bad_plan_options_and_files(lib, videos_file, tmp_path):
    planner = lib.planner()
    video = first_video(videos_file)
    with pytest.raises(segue.BadInputError, match="unknown policy"):
        planner.plan(video, policy="best")
    with pytest.raises(segue.BadInputError, match="at least 1"):
        planner.plan(video, beam_width=0)
    with pytest.raises(segue.BadInputError, match="bpm"):
        planner.plan(video, filter="bpm >>= 1")
    with pytest.raises(segue.BadInputError, match="expected one video, got 6"):
        planner.plan(videos_file)
    with pytest.raises(segue.SegueError, match="missing.json"):
        planner.plan(tmp_path / "missing.json")
    with pytest.raises(segue.BadInputError, match="unknown output"):
        planner.plan(video, output="csv")


def test_fit_from_a_file_and_from_dicts_publishes_a_version(fresh_library, videos_file):
    before = segue.Library.open(fresh_library).version
    summary = segue.fit(fresh_library, videos_file)
    assert summary["videos"] == 6
    assert summary["library_version"] == before + 1
    videos = [json.loads(line) for line in videos_file.read_text().splitlines()]
    again = segue.fit(segue.Library.open(fresh_library), videos[:3])
    assert again["videos"] == 3
    assert again["library_version"] == before + 2
    with pytest.raises(segue.BadInputError, match="audio_emb"):
        segue.fit(fresh_library, [{"id": "v", "segments": [
            {"start": 0, "end": 5, "audio_emb": [1.0]}]}])
    assert segue.Library.open(fresh_library).version == before + 2


def test_evaluate_plans_every_video_with_every_policy(library_path, videos_file):
    report = segue.evaluate(segue.Library.open(library_path), videos_file,
                            policies=["greedy-all", "beam"])
    assert len(report["rows"]) == 12
    assert [s["policy"] for s in report["summaries"]] == ["greedy-all", "beam"]
    by = {s["policy"]: s["mean_return"] for s in report["summaries"]}
    assert by["beam"] >= by["greedy-all"] - 1e-9
    with pytest.raises(segue.BadInputError, match="unknown policy"):
        segue.evaluate(library_path, videos_file, policies=["best"])
    with pytest.raises(segue.BadInputError, match="no policies"):
        segue.evaluate(library_path, videos_file, policies=[])


def new_tracks(plan):
    return [s for s in plan["segments"] if s["action"] == "new"]


@pytest.mark.parametrize("policy", ["random", "greedy-all", "beam"])
def test_the_artist_cap_and_exclusions_hold_for_every_policy(lib, videos_file, policy):
    planner = lib.planner()
    video = first_video(videos_file)
    free = planner.plan(video, policy=policy)
    banned = [s["track_id"] for s in new_tracks(free)][:2]
    capped = planner.plan(video, policy=policy, max_per_artist=1, exclude_ids=banned)
    placed = new_tracks(capped)
    artists = [s.get("artist") for s in placed if s.get("artist") is not None]
    distinct_per_artist = {}
    for s in placed:
        distinct_per_artist.setdefault(s.get("artist"), set()).add(s["track_id"])
    assert artists and all(len(t) == 1 for a, t in distinct_per_artist.items() if a is not None)
    assert not {s["track_id"] for s in placed} & set(banned)


def test_a_batch_without_repeats_places_no_track_in_two_videos(lib, videos_file):
    planner = lib.planner()
    plans = planner.plan_batch(videos_file, policy="greedy-all", no_repeat_across_videos=True)
    assert len(plans) == 6
    seen = set()
    for plan in plans:
        tracks = {s["track_id"] for s in new_tracks(plan)}
        assert not tracks & seen, plan["video_id"]
        seen |= tracks
    # Planned one at a time, the same videos reuse tracks (what the option is for).
    alone = [planner.plan(v, policy="greedy-all") for v in videos_file.read_text().splitlines()]
    used = [t for p in alone for t in {s["track_id"] for s in new_tracks(p)}]
    assert len(used) > len(set(used))
    # Without the option a batch is the videos planned one at a time.
    repeated = planner.plan_batch(videos_file, policy="greedy-all")
    assert [without_timing(p) for p in repeated] == [without_timing(p) for p in alone]
    table = planner.plan_batch(videos_file, policy="greedy-all", output="table")
    assert isinstance(table, pa.Table)
    assert len(set(table.column("video_id").to_pylist())) == 6


def test_evaluate_takes_the_same_constraints(library_path, videos_file):
    report = segue.evaluate(library_path, videos_file, policies=["greedy-all"],
                            no_repeat_across_videos=True, max_per_artist=1)
    assert len(report["rows"]) == 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_per_artist": 0}, "max_per_artist must be at least 1"),
        ({"exclude_ids": 3}, "`exclude_ids` must be a string"),
        ({"output": "csv"}, "unknown output"),
        ({"policy": "best"}, "unknown policy"),
        ({"diversify": "mmr:2"}, "diversify: .* must be in"),
        ({"diversify": "dpp"}, "search pools"),
        ({"diversify": "theme", "diversify_keep": 0}, "at least 1"),
        ({"diversify_keep": 3}, "diversify_keep needs diversify"),
        ({"motion_energy": float("nan")}, "motion_energy"),
    ],
)
def test_bad_batch_options_are_bad_input_errors(lib, videos_file, kwargs, message):
    with pytest.raises(segue.BadInputError, match=message):
        lib.planner().plan_batch(videos_file, **kwargs)


def test_the_diversity_knob_narrows_each_step_and_keeps_all_when_asked_to(lib, videos_file):
    planner = lib.planner()
    video = first_video(videos_file)
    plain = planner.plan(video, policy="greedy-all")
    # Keeping more than a step has leaves the choice as it was.
    wide = planner.plan(video, policy="greedy-all", diversify="mmr:0.5", diversify_keep=100000)
    assert without_timing(wide) == without_timing(plain)
    # Keeping one: away from the plan's tracks and toward them are different soundtracks.
    away = planner.plan(video, policy="greedy-all", diversify="mmr:0", diversify_keep=1)
    toward = planner.plan(video, policy="greedy-all", diversify="theme:0", diversify_keep=1)
    assert without_timing(away) != without_timing(toward)
    batch = planner.plan_batch(videos_file, policy="beam", diversify="theme:0.7")
    assert len(batch) == 6


def test_motion_energy_pairs_busy_segments_with_energetic_tracks(lib, videos_file):
    planner = lib.planner()
    videos = [json.loads(line) for line in videos_file.read_text().splitlines()]
    for v in videos:
        for i, s in enumerate(v["segments"]):
            s["motion"] = float((i * 7 + 3) % 10)
    off = planner.plan_batch(videos, policy="greedy-all")
    on = planner.plan_batch(videos, policy="greedy-all", motion_energy=3.0)
    rho = lambda plans: sum(p["motion_energy_spearman"] for p in plans) / len(plans)
    assert rho(on) > rho(off)
