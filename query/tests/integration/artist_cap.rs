//! `ArtistCap` in every sequencer and in the trained policy's observations: no plan holds more
//! than the cap's tracks of one artist, and the cap binds (plans without it break it).

use std::collections::HashMap;
use std::sync::Arc;

use segue_query::objective::{Action, EpisodeOutcome, Mode, Row};
use segue_query::policy::{ObsConfig, Observation, ObservationBuilder};
use segue_query::sequencer::{ArtistCap, Candidates, NO_ARTIST, baseline, run_episode};

use crate::world::world;

const TRACKS: usize = 40;

/// Row `r` is by artist `r % 8` (5 tracks each); every tenth row has no artist.
fn artists() -> Arc<[u32]> {
    (0..TRACKS)
        .map(|r| {
            if r % 10 == 9 {
                NO_ARTIST
            } else {
                (r % 8) as u32
            }
        })
        .collect()
}

/// Most distinct tracks of one artist placed in `rows`.
fn most_per_artist(rows: impl IntoIterator<Item = Row>, artist_of: &[u32]) -> usize {
    let mut distinct: Vec<Row> = rows.into_iter().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut per: HashMap<u32, usize> = HashMap::new();
    for r in distinct {
        if artist_of[r as usize] != NO_ARTIST {
            *per.entry(artist_of[r as usize]).or_default() += 1;
        }
    }
    per.values().copied().max().unwrap_or(0)
}

fn new_rows(out: &EpisodeOutcome) -> Vec<Row> {
    out.actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::Track(r) => Some(r),
            Action::Continue => None,
        })
        .collect()
}

#[test]
fn no_sequencer_places_more_than_the_cap_of_one_artist() {
    let w = world(TRACKS, 6, 4);
    let obj = w.objective(Mode::Test);
    let artist_of = artists();
    let mut free_worst = 0;
    for name in ["random", "greedy-all", "greedy-aligned", "beam"] {
        for cap in [1u32, 2] {
            let capped = Candidates::exact()
                .with_artist_cap(ArtistCap::new(artist_of.clone(), cap).unwrap());
            let mut seq = baseline(name, 3, capped).unwrap();
            let mut free = baseline(name, 3, Candidates::exact()).unwrap();
            for v in &w.videos {
                // A budget of 6 switches: more new tracks than one per artist would allow.
                let out = run_episode(&obj, v, 6, seq.as_mut()).unwrap();
                let most = most_per_artist(new_rows(&out), &artist_of);
                assert!(
                    most <= cap as usize,
                    "{name} cap {cap}: {most} tracks of one artist"
                );
                let out = run_episode(&obj, v, 6, free.as_mut()).unwrap();
                free_worst = free_worst.max(most_per_artist(new_rows(&out), &artist_of));
            }
        }
    }
    assert!(free_worst > 1, "the cap never bound: {free_worst}");
    assert!(ArtistCap::new(artist_of, 0).is_err());
}

#[test]
fn the_policys_slots_hold_only_tracks_under_the_artist_cap() {
    let w = world(TRACKS, 4, 9);
    let obj = w.objective(Mode::Test);
    let artist_of = artists();
    let cfg = ObsConfig {
        slots: 6,
        whole_segments: false,
    };
    let mut b = ObservationBuilder::exact(&w.tracks, cfg)
        .unwrap()
        .with_artist_cap(ArtistCap::new(artist_of.clone(), 1).unwrap());
    let mut obs = Observation::default();
    for v in &w.videos {
        let mut ep = obj.start(v, 6).unwrap();
        let mut placed: Vec<Row> = Vec::new();
        while !ep.is_done() {
            b.build(&ep, &mut obs).unwrap();
            for row in obs.rows.iter().flatten() {
                let a = artist_of[*row as usize];
                let clash = placed
                    .iter()
                    .any(|p| p != row && a != NO_ARTIST && artist_of[*p as usize] == a);
                assert!(!clash, "slot offers row {row} of an artist already placed");
            }
            // Take a new track at every step (the first slot), CONTINUE never.
            let row = obs.rows[0].expect("a slot is filled");
            placed.push(row);
            ep.step(Action::Track(row)).unwrap();
        }
        assert!(most_per_artist(placed, &artist_of) <= 1);
    }
}
