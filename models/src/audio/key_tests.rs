use super::*;
use crate::audio::test_signals::chord;

/// I–IV–V–I (major) or i–iv–V–i (minor, with the raised leading tone) in `key`, root-position
/// triads around C4 over a bass an octave down, twice.
fn cadence(key: Key) -> Vec<f32> {
    let third = match key.mode {
        Mode::Major => 4,
        Mode::Minor => 3,
    };
    let root = 48 + i32::from(key.tonic);
    let chords = [
        vec![root - 12, root, root + third, root + 7],
        vec![root - 7, root + 5, root + 5 + third, root + 12],
        vec![root - 5, root + 7, root + 11, root + 14],
        vec![root - 12, root, root + third, root + 7],
    ];
    (0..2)
        .flat_map(|_| chords.iter().flat_map(|c| chord(c, 2.0)))
        .collect()
}

#[test]
fn every_key_of_a_generated_cadence() {
    let finder = KeyFinder::new();
    for tonic in 0..12 {
        for mode in [Mode::Major, Mode::Minor] {
            let key = Key { tonic, mode };
            let got = finder.estimate(&cadence(key)).expect("a cadence has a key");
            assert_eq!(got.key, key, "{}: found {}", key.name(), got.key.name());
            assert!(
                got.correlation > 0.6 && got.margin > 0.0,
                "{}: {got:?}",
                key.name()
            );
        }
    }
}

#[test]
fn camelot_positions_and_neighbours() {
    let k = |tonic, mode| Key { tonic, mode };
    assert_eq!(k(0, Mode::Major).camelot(), (8, 'B'));
    assert_eq!(k(9, Mode::Minor).camelot(), (8, 'A'));
    assert_eq!(k(6, Mode::Major).camelot(), (2, 'B'));
    assert_eq!(k(3, Mode::Minor).camelot(), (2, 'A'));
    assert_eq!(k(5, Mode::Major).camelot(), (7, 'B'));
    assert_eq!(k(11, Mode::Major).camelot(), (1, 'B'));
    assert_eq!(k(4, Mode::Major).camelot(), (12, 'B'));
    let c = k(0, Mode::Major);
    assert!(c.is_compatible(c));
    assert!(c.is_compatible(k(7, Mode::Major)), "a fifth up");
    assert!(c.is_compatible(k(5, Mode::Major)), "a fifth down");
    assert!(c.is_compatible(k(9, Mode::Minor)), "the relative minor");
    assert!(
        !c.is_compatible(k(2, Mode::Major)),
        "two steps round the wheel"
    );
    assert!(
        !c.is_compatible(k(4, Mode::Minor)),
        "another number and mode"
    );
    assert!(
        k(11, Mode::Major).is_compatible(k(4, Mode::Major)),
        "1B and 12B wrap round"
    );
    assert_eq!(k(3, Mode::Major).name(), "Eb major");
    assert_eq!(k(9, Mode::Minor).camelot_code(), "8A");
    assert_eq!(k(9, Mode::Minor).name(), "A minor");
}

#[test]
fn silence_and_short_audio_have_no_key() {
    let finder = KeyFinder::new();
    assert_eq!(finder.estimate(&vec![0.0; 5 * SAMPLE_RATE as usize]), None);
    assert_eq!(finder.estimate(&vec![0.1; 1000]), None);
}

#[test]
fn key_names_read_back() {
    for tonic in 0..12 {
        for mode in [Mode::Major, Mode::Minor] {
            let key = Key { tonic, mode };
            assert_eq!(key.name().parse::<Key>(), Ok(key));
        }
    }
    assert_eq!("D# minor".parse::<Key>(), "Eb minor".parse::<Key>());
    assert_eq!(
        "Cb major".parse::<Key>().map(|k| k.tonic),
        Ok(11),
        "a flat wraps below C"
    );
    for bad in ["", "H major", "C", "C dorian", "C## major"] {
        assert!(bad.parse::<Key>().is_err(), "{bad:?}");
    }
}
