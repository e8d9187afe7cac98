//! The text a track's `text_emb` is computed from: its caption, or, when it has none, a caption
//! composed of what the catalogue says (title, artist, tags, BPM, mood), so that catalogues
//! without captions (MTG-Jamendo, Spotify) still get a text space.

use crate::record::TrackRecord;

/// The caption to embed for `r`.
pub fn text_for(r: &TrackRecord) -> String {
    match r.caption.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => compose(r),
    }
}

/// `"Sunny Road by The Band. pop, dance pop. 122 BPM. happy, upbeat mood."` — the parts the
/// record has, in that order. Tag kinds (`genre:`, `mood:`) are dropped and `-` read as a space;
/// mood words come from `mood:` tags and, without them, from valence.
pub fn compose(r: &TrackRecord) -> String {
    let mut parts: Vec<String> = Vec::new();
    match (&r.title, &r.artist) {
        (Some(t), Some(a)) => parts.push(format!("{t} by {a}")),
        (Some(t), None) => parts.push(t.clone()),
        (None, Some(a)) => parts.push(format!("by {a}")),
        (None, None) => {}
    }
    let mut moods: Vec<String> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for tag in &r.tags {
        let (kind, value) = tag.split_once(':').unwrap_or(("", tag));
        let words = value.replace(['-', '_'], " ");
        if kind == "mood" {
            moods.push(words);
        } else if !others.contains(&words) {
            others.push(words);
        }
    }
    if !others.is_empty() {
        parts.push(others.join(", "));
    }
    if let Some(bpm) = r.bpm.filter(|b| *b > 0.0) {
        parts.push(format!("{bpm:.0} BPM"));
    }
    if moods.is_empty() {
        match r.valence {
            Some(v) if v >= 0.66 => moods.push("happy, upbeat".into()),
            Some(v) if v <= 0.33 => moods.push("sad, melancholic".into()),
            _ => {}
        }
    }
    if !moods.is_empty() {
        parts.push(format!("{} mood", moods.join(", ")));
    }
    let mut s = parts.join(". ");
    if !s.is_empty() {
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caption_wins_over_the_metadata() {
        let r = TrackRecord {
            caption: Some("  warm folk for a road trip ".into()),
            title: Some("X".into()),
            ..Default::default()
        };
        assert_eq!(text_for(&r), "warm folk for a road trip");
    }

    #[test]
    fn composed_from_title_artist_tags_bpm_and_mood() {
        let r = TrackRecord {
            title: Some("Sunny Road".into()),
            artist: Some("The Band".into()),
            tags: vec![
                "genre:pop".into(),
                "mood:calm".into(),
                "subgenre:dance-pop".into(),
            ],
            bpm: Some(121.6),
            ..Default::default()
        };
        assert_eq!(
            text_for(&r),
            "Sunny Road by The Band. pop, dance pop. 122 BPM. calm mood."
        );
    }

    #[test]
    fn valence_gives_a_mood_when_tags_do_not() {
        let r = TrackRecord {
            title: Some("Rain".into()),
            valence: Some(0.1),
            ..Default::default()
        };
        assert_eq!(compose(&r), "Rain. sad, melancholic mood.");
        assert_eq!(compose(&TrackRecord::default()), "");
    }
}
