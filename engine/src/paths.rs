//! Where Segue finds the shared data and models on a machine.

use std::path::PathBuf;

/// The folder of real catalogues: `$SEGUE_SHARED_DATA`, else `../shared/data` from the current
/// directory, else `shared/data` beside the source checkout this binary was built from.
pub fn shared_data_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SEGUE_SHARED_DATA") {
        let p = PathBuf::from(p);
        return p.is_dir().then_some(p);
    }
    let candidates = [
        PathBuf::from("../shared/data"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    ];
    candidates.into_iter().find(|p| p.is_dir())
}

/// The Spotify songs CSV, if present.
pub fn spotify_csv() -> Option<PathBuf> {
    shared_data_dir()
        .map(|d| d.join("tidytuesday-spotify/spotify_songs.csv"))
        .filter(|p| p.is_file())
}

/// The MTG-Jamendo TSV, if present.
pub fn jamendo_tsv() -> Option<PathBuf> {
    shared_data_dir()
        .map(|d| d.join("mtg-jamendo/autotagging_reconstructed.tsv"))
        .filter(|p| p.is_file())
}
