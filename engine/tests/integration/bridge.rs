//! Bridge tracks on the real catalogue: between two Wesnoth tracks whose keys clash, the
//! planner finds the track that mixes with both, places a few of its bars between them on
//! their bar starts, and the render plays it; without such a track (excluded) the forced bridge
//! becomes a fade that says why.

use std::path::Path;
use std::sync::Arc;

use segue::fixtures::real_audio::wesnoth_music;
use segue::fixtures::shared::shared_path;
use segue::ingest_crate::AudioIngest;
use segue::models::{AudioAnalyzer, AudioAnalyzerOptions};
use segue::query::arrange::{ClipRole, TransitionKind, read_analyses};
use segue::query::objective::Action;
use segue::query::sequencer::Replay;
use segue::query::video::Segment;
use segue::render::{RenderOptions, render_plan};
use segue::soundtrack::{PlanOptions, Video, open_planner};
use segue::{EmbeddingKind, EncoderOptions, IngestOptions, Library};

/// As `segue analyze` measured them (benches/RESULTS.md, "Track analysis"): main_menu 120.0
/// BPM in E minor (Camelot 9A) and defeat2 119.7 BPM in D minor (7A) clash; transience, 114.6
/// BPM in A minor (8A), is within 6 % of both tempi and a Camelot neighbour of both keys;
/// elf-land (Bb major, 6B) mixes with neither.
const TRACKS: [&str; 4] = ["main_menu", "defeat2", "transience", "elf-land"];

fn library(dir: &Path, music: &Path) -> std::path::PathBuf {
    let audio = dir.join("audio");
    std::fs::create_dir(&audio).unwrap();
    for t in TRACKS {
        let f = format!("{t}.ogg");
        std::os::unix::fs::symlink(music.join(&f), audio.join(&f)).unwrap();
    }
    let analyzer = AudioAnalyzer::load(&AudioAnalyzerOptions::default()).unwrap();
    let mut o = IngestOptions::new(&audio);
    o.audio = Some(AudioIngest::new(Arc::new(analyzer), Some(audio.clone())));
    o.progress = false;
    let lib = dir.join("lib");
    segue::ingest(&lib, &o).unwrap();
    lib
}

#[test]
fn a_bridge_track_links_clashing_real_tracks_on_their_bar_starts() {
    let Some(music) = wesnoth_music() else { return };
    // The musicnn embedding needs the shared models.
    if shared_path("models/musicnn").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib_dir = library(dir.path(), &music);
    let library = Library::open(&lib_dir).unwrap();
    let analyses = read_analyses(&library, &(0..library.rows()).collect::<Vec<_>>()).unwrap();
    let row = |id: &str| analyses.iter().find(|a| a.track_id == id).unwrap().row;
    let audio = library.vectors(EmbeddingKind::Audio).unwrap();
    let (a, b) = (row("main_menu"), row("defeat2"));
    let segment = |start, end, r: u64, transition| Segment {
        start,
        end,
        audio_emb: Some(audio.row(r as usize).to_vec()),
        transition,
        ..Default::default()
    };
    let video = Video {
        id: "bridge".into(),
        segments: vec![
            segment(0.0, 24.0, a, None),
            segment(24.0, 36.0, b, Some(TransitionKind::Bridge)),
        ],
        switch_budget: Some(2),
    };
    let planner = open_planner(&lib_dir, &EncoderOptions::default()).unwrap();
    let plan_of = |opts: &PlanOptions| {
        let mut replay = Replay::new(vec![Action::Track(a), Action::Track(b)]);
        planner.plan_with(&video, opts, &mut replay).unwrap()
    };

    let plan = plan_of(&PlanOptions::default());
    let arr = plan.arrangement.as_ref().unwrap();
    let t = &arr.transitions[0];
    assert_eq!(t.kind, TransitionKind::Bridge, "{t:?}");
    let bridge = t.bridge.as_ref().unwrap();
    assert_eq!(bridge.track_id, "transience", "{t:?}");
    let roles: Vec<ClipRole> = arr.clips.iter().map(|c| c.role).collect();
    assert_eq!(roles, [ClipRole::Main, ClipRole::Bridge, ClipRole::Main]);
    // Every stop and start on the track's own bar starts (±1 ms of the analysed downbeats).
    let on_bar = |clip: &segue::query::arrange::Clip, at: f64| {
        let grid = &analyses
            .iter()
            .find(|x| x.row == clip.row)
            .unwrap()
            .downbeats;
        grid.iter()
            .any(|&d| (clip.timeline_in + d - clip.source_in - at).abs() < 1e-3)
    };
    let (out, mid, inc) = (&arr.clips[0], &arr.clips[1], &arr.clips[2]);
    assert!(on_bar(out, out.timeline_out), "{out:?}");
    assert!(
        (out.timeline_out - 24.0).abs() <= 60.0 / 120.0 + 1e-6,
        "within a beat"
    );
    assert!(
        on_bar(mid, mid.timeline_in) && on_bar(mid, mid.timeline_out),
        "{mid:?}"
    );
    assert!(on_bar(inc, inc.timeline_in), "{inc:?}");
    assert!(
        out.timeline_out <= inc.timeline_in,
        "the two sides never overlap"
    );
    assert!((2..=8).contains(&bridge.bars), "{bridge:?}");
    assert_eq!(inc.timeline_out, 36.0);

    // The render plays it: exactly the video's length, from the bridge's own file too.
    let wav = dir.path().join("mix.wav");
    let (summary, _) = render_plan(
        &library,
        &plan,
        &wav,
        None,
        &RenderOptions::default(),
        None,
        &|_, _| {},
    )
    .unwrap();
    assert!((summary.seconds - 36.0).abs() < 1e-4, "{summary:?}");
    assert!(
        mid.audio_path
            .as_deref()
            .unwrap()
            .ends_with("transience.ogg")
    );

    // Without the one track that mixes with both, the forced bridge fades, and says why.
    let plan = plan_of(&PlanOptions {
        exclude_ids: vec!["transience".into()],
        ..PlanOptions::default()
    });
    let t = &plan.arrangement.as_ref().unwrap().transitions[0];
    assert_eq!(t.kind, TransitionKind::Fade, "{t:?}");
    assert!(t.reason.contains("no track mixes with both"), "{t:?}");
    assert!(t.bridge.is_none());
}
