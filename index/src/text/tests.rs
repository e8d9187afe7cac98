use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use roaring::RoaringBitmap;

use super::{TextDoc, TextIndex, TextIndexWriter};
use crate::IndexError;

/// A track as the tests write it: title, artist, album, caption, tags.
struct Track {
    title: &'static str,
    artist: &'static str,
    album: &'static str,
    caption: &'static str,
    tags: &'static [&'static str],
}

const TRACKS: &[Track] = &[
    Track {
        title: "Morning Light",
        artist: "Foo Bar",
        album: "Quiet Rooms",
        caption: "a slow piano piece with soft strings",
        tags: &["mood:calm", "instrument:piano", "genre:classical"],
    },
    Track {
        title: "Engine Room",
        artist: "The Bar Foos",
        album: "Loud",
        caption: "distorted guitars and pounding drums",
        tags: &["mood:energetic", "genre---rock", "instrument:guitar"],
    },
    Track {
        title: "Calm Down",
        artist: "Baz",
        album: "Singles",
        caption: "upbeat pop with vocals",
        tags: &["genre:pop", "vocals"],
    },
    Track {
        title: "Night Drive",
        artist: "Foo",
        album: "Bar",
        caption: "piano, slow and dark, with synth pads",
        tags: &["mood:dark", "instrument:synth", "instrument:piano"],
    },
    Track {
        title: "Beyoncé Tribute",
        artist: "Qux",
        album: "Covers",
        caption: "soulful vocals over a calm piano",
        tags: &["Mood:Calm", "genre:soul", "vocals"],
    },
];

fn tags(track: &Track) -> Vec<String> {
    track.tags.iter().map(|t| t.to_string()).collect()
}

/// Adds `tracks` to `writer` as rows `first..`.
fn add_all(writer: &mut TextIndexWriter, first: u32, tracks: &[Track]) {
    for (i, t) in tracks.iter().enumerate() {
        let tags = tags(t);
        let row = first + i as u32;
        let id = format!("track-{row}");
        writer
            .add(&TextDoc {
                row,
                track_id: &id,
                title: Some(t.title),
                artist: Some(t.artist),
                album: Some(t.album),
                caption: Some(t.caption),
                tags: &tags,
            })
            .unwrap();
    }
}

fn build(dir: &Path, tracks: &[Track]) -> Vec<String> {
    let mut writer = TextIndexWriter::create(dir, 2).unwrap();
    add_all(&mut writer, 0, tracks);
    writer.finish().unwrap()
}

fn small_index() -> (tempfile::TempDir, TextIndex) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    build(&dir, TRACKS);
    let index = TextIndex::open(&dir).unwrap();
    (tmp, index)
}

/// Rows matching `query`, in rank order.
fn rows(index: &TextIndex, query: &str) -> Vec<u64> {
    index
        .search(query, None, 100)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .iter()
        .map(|h| h.row)
        .collect()
}

/// Rows matching `query`, sorted (for queries whose order is not the point).
fn matching(index: &TextIndex, query: &str) -> Vec<u64> {
    let mut r = rows(index, query);
    r.sort();
    r
}

/// Every file of a folder with its size and CRC-32.
fn fingerprint(dir: &Path) -> BTreeMap<String, (u64, u32)> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let data = fs::read(e.path()).unwrap();
            (
                e.file_name().into_string().unwrap(),
                (data.len() as u64, crc32fast::hash(&data)),
            )
        })
        .collect()
}

#[test]
fn builds_and_lists_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    let files = build(&dir, TRACKS);
    assert!(files.contains(&"meta.json".to_string()), "{files:?}");
    assert!(files.iter().all(|f| !f.ends_with(".lock")), "{files:?}");
    let on_disk: Vec<String> = fingerprint(&dir).into_keys().collect();
    assert_eq!(files, on_disk, "finish names every file in the folder");
    let index = TextIndex::open(&dir).unwrap();
    assert_eq!(index.docs(), TRACKS.len() as u64);
}

#[test]
fn tag_words_and_whole_tags() {
    let (_tmp, index) = small_index();
    // A word of a tag matches, whatever separates the parts of the tag.
    assert_eq!(matching(&index, "tags:calm"), vec![0, 4]);
    assert_eq!(matching(&index, "tags:rock"), vec![1]);
    assert_eq!(matching(&index, "tags:\"genre rock\""), vec![1]);
    // A phrase does not run from one tag into the next.
    assert_eq!(
        matching(&index, "tags:\"calm instrument\""),
        Vec::<u64>::new()
    );
    // A whole tag, ignoring case, but only whole.
    assert_eq!(matching(&index, "tag:\"mood:calm\""), vec![0, 4]);
    assert_eq!(matching(&index, "tag:\"MOOD:CALM\""), vec![0, 4]);
    assert_eq!(matching(&index, "tag:calm"), Vec::<u64>::new());
    assert_eq!(matching(&index, "tag:\"genre---rock\""), vec![1]);
    assert_eq!(matching(&index, "tag:vocals"), vec![2, 4]);
    // Without a field, `calm` is also found in titles and captions.
    assert_eq!(matching(&index, "calm"), vec![0, 2, 4]);
}

#[test]
fn phrases() {
    let (_tmp, index) = small_index();
    assert_eq!(matching(&index, "\"slow piano\""), vec![0]);
    assert_eq!(matching(&index, "slow piano"), vec![0, 3, 4]);
    assert_eq!(matching(&index, "\"calm piano\""), vec![4]);
}

#[test]
fn fields() {
    let (_tmp, index) = small_index();
    assert_eq!(matching(&index, "artist:\"Foo Bar\""), vec![0]);
    assert_eq!(matching(&index, "artist:foo"), vec![0, 3]);
    assert_eq!(matching(&index, "artist:foos"), vec![1]);
    assert_eq!(matching(&index, "album:bar"), vec![3]);
    assert_eq!(matching(&index, "title:(night OR light)"), vec![0, 3]);
    assert_eq!(matching(&index, "caption:vocals"), vec![2, 4]);
    assert_eq!(matching(&index, "track_id:\"track-3\""), vec![3]);
    // Accents are folded in the index and in the query.
    assert_eq!(matching(&index, "title:beyonce"), vec![4]);
    assert_eq!(matching(&index, "title:BEYONCÉ"), vec![4]);
}

#[test]
fn boolean_operators() {
    let (_tmp, index) = small_index();
    assert_eq!(matching(&index, "calm AND piano"), vec![0, 4]);
    assert_eq!(matching(&index, "+calm +piano"), vec![0, 4]);
    assert_eq!(matching(&index, "rock OR pop"), vec![1, 2]);
    assert_eq!(matching(&index, "piano AND NOT vocals"), vec![0, 3]);
    assert_eq!(matching(&index, "piano -vocals"), vec![0, 3]);
    assert_eq!(matching(&index, "(calm OR dark) AND synth"), vec![3]);
}

#[test]
fn bm25_ranks_better_matches_first() {
    let (_tmp, index) = small_index();
    // Both words beat one word.
    let r = rows(&index, "calm piano");
    assert_eq!(&r[..2], &[0, 4], "{r:?}");
    // The same word as a tag (boosted) beats it in a caption only.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    let tracks = [
        Track {
            title: "a",
            artist: "x",
            album: "y",
            caption: "ambient",
            tags: &["mood:warm"],
        },
        Track {
            title: "b",
            artist: "x",
            album: "y",
            caption: "warm",
            tags: &["genre:ambient"],
        },
    ];
    build(&dir, &tracks);
    let two = TextIndex::open(&dir).unwrap();
    assert_eq!(rows(&two, "ambient"), vec![1, 0]);
    assert_eq!(rows(&two, "warm"), vec![0, 1]);
    let hits = two.search("warm", None, 10).unwrap();
    assert!(
        hits[0].score > hits[1].score && hits[1].score > 0.0,
        "{hits:?}"
    );
}

#[test]
fn ties_go_to_the_lower_row() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    let same = Track {
        title: "same",
        artist: "same",
        album: "same",
        caption: "same words",
        tags: &["mood:calm"],
    };
    let tracks: Vec<Track> = (0..40)
        .map(|_| Track {
            tags: same.tags,
            ..same
        })
        .collect();
    // Four threads, so that the rows start out in several segments.
    let mut writer = TextIndexWriter::create(&dir, 4).unwrap();
    add_all(&mut writer, 0, &tracks);
    writer.finish().unwrap();
    let index = TextIndex::open(&dir).unwrap();
    let hits = index.search("calm", None, 7).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.row).collect::<Vec<_>>(),
        (0..7).collect::<Vec<_>>()
    );
    assert!(hits.windows(2).all(|w| w[0].score == w[1].score));
}

/// Many similar tracks: row `i` has `i % 7 + 1` copies of "piano" in its caption, so scores
/// differ and tie in groups.
fn many(dir: &Path, n: u32, first: u32, writer: Option<TextIndexWriter>) -> Vec<String> {
    let mut writer = writer.unwrap_or_else(|| TextIndexWriter::create(dir, 3).unwrap());
    for row in first..first + n {
        let caption = vec!["piano"; (row % 7 + 1) as usize].join(" ") + " and some other words";
        let tags = vec![format!("group:g{}", row % 5)];
        let id = format!("t{row}");
        writer
            .add(&TextDoc {
                row,
                track_id: &id,
                title: None,
                artist: None,
                album: None,
                caption: Some(&caption),
                tags: &tags,
            })
            .unwrap();
    }
    writer.finish().unwrap()
}

/// What filtering inside the search must equal: rank everything, then keep allowed rows.
fn filtered_model(index: &TextIndex, query: &str, allowed: &RoaringBitmap, k: usize) -> Vec<u64> {
    index
        .search(query, None, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|h| allowed.contains(h.row as u32))
        .take(k)
        .map(|h| h.row)
        .collect()
}

#[test]
fn filter_is_applied_inside_the_search() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    many(&dir, 3000, 0, None);
    let index = TextIndex::open(&dir).unwrap();
    assert_eq!(index.search("piano", None, usize::MAX).unwrap().len(), 3000);

    // Only rows scoring lowest (one "piano") are allowed: a top-k-then-filter would find none.
    let low: RoaringBitmap = (0..3000u32).filter(|r| r % 7 == 0).step_by(3).collect();
    let k = 10;
    let exactly_k: RoaringBitmap = low.iter().take(k).collect();
    let hits = index.search("piano", Some(&exactly_k), k).unwrap();
    assert_eq!(hits.len(), k);
    assert_eq!(
        hits.iter().map(|h| h.row).collect::<Vec<_>>(),
        exactly_k.iter().map(u64::from).collect::<Vec<_>>(),
        "equal scores come back in row order"
    );

    let fewer: RoaringBitmap = low.iter().take(k - 3).chain([5000, 7000]).collect();
    let hits = index.search("piano", Some(&fewer), k).unwrap();
    assert_eq!(hits.len(), k - 3, "rows beyond the index are not matches");

    for allowed in [
        low.clone(),
        (0..3000u32).step_by(11).collect(),
        (2990..3000u32).collect(),
    ] {
        for k in [1, 5, 40] {
            let got: Vec<u64> = index
                .search("piano OR g3", Some(&allowed), k)
                .unwrap()
                .iter()
                .map(|h| h.row)
                .collect();
            assert_eq!(
                got,
                filtered_model(&index, "piano OR g3", &allowed, k),
                "k={k}"
            );
            assert_eq!(got.len(), k.min(allowed.len() as usize));
        }
    }
    let empty = RoaringBitmap::new();
    assert!(index.search("piano", Some(&empty), 5).unwrap().is_empty());
    assert!(index.search("piano", None, 0).unwrap().is_empty());
}

#[test]
fn extend_leaves_the_previous_index_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = tmp.path().join("v1");
    let v2 = tmp.path().join("v2");
    build(&v1, &TRACKS[..3]);
    let before = fingerprint(&v1);
    let v1_results = rows(&TextIndex::open(&v1).unwrap(), "calm OR rock");

    let mut writer = TextIndexWriter::extend(&v1, &v2, 2).unwrap();
    assert_eq!(writer.next_row(), 3);
    let err = writer
        .add(&TextDoc {
            row: 7,
            track_id: "gap",
            title: None,
            artist: None,
            album: None,
            caption: None,
            tags: &[],
        })
        .unwrap_err();
    assert!(
        matches!(err, IndexError::InvalidArgument(ref m) if m.contains("expected row 3")),
        "{err}"
    );
    add_all(&mut writer, 3, &TRACKS[3..]);
    let files = writer.finish().unwrap();
    assert_eq!(files, fingerprint(&v2).into_keys().collect::<Vec<_>>());

    assert_eq!(fingerprint(&v1), before, "the previous index is untouched");
    let old = TextIndex::open(&v1).unwrap();
    assert_eq!(old.docs(), 3);
    assert_eq!(rows(&old, "calm OR rock"), v1_results);

    let new = TextIndex::open(&v2).unwrap();
    assert_eq!(new.docs(), TRACKS.len() as u64);
    // Old rows keep their numbers, new rows are searchable under theirs.
    assert_eq!(matching(&new, "tags:rock"), vec![1]);
    assert_eq!(matching(&new, "tag:\"mood:calm\""), vec![0, 4]);
    assert_eq!(matching(&new, "synth"), vec![3]);
    assert_eq!(matching(&new, "track_id:\"track-4\""), vec![4]);
    // The same as building everything at once.
    let once = tmp.path().join("once");
    build(&once, TRACKS);
    let once = TextIndex::open(&once).unwrap();
    for q in ["calm piano", "vocals", "foo OR bar", "\"slow piano\""] {
        assert_eq!(rows(&new, q), rows(&once, q), "{q}");
    }
}

#[test]
fn many_appends_keep_few_segments_and_all_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let mut prev = tmp.path().join("v0");
    many(&prev, 50, 0, None);
    for v in 1..=12u32 {
        let dir = tmp.path().join(format!("v{v}"));
        let writer = TextIndexWriter::extend(&prev, &dir, 2).unwrap();
        many(&dir, 50, 50 * v, Some(writer));
        prev = dir;
    }
    let index = TextIndex::open(&prev).unwrap();
    assert_eq!(index.docs(), 650);
    let segments = index.segments();
    assert!(segments < 8, "{segments} segments after 12 appends");
    let mut all: Vec<u64> = rows(&index, "piano");
    assert_eq!(all.len(), 100, "k caps the results");
    all = index
        .search("piano", None, 1000)
        .unwrap()
        .iter()
        .map(|h| h.row)
        .collect();
    all.sort();
    assert_eq!(all, (0..650).collect::<Vec<_>>());
}

#[test]
fn reopens_with_the_same_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    build(&dir, TRACKS);
    let first = TextIndex::open(&dir)
        .unwrap()
        .search("calm piano", None, 10)
        .unwrap();
    let again = TextIndex::open(&dir)
        .unwrap()
        .search("calm piano", None, 10)
        .unwrap();
    assert_eq!(first, again);
}

#[test]
fn readers_write_nothing() {
    let (tmp, index) = small_index();
    let dir = tmp.path().join("text");
    let before = fingerprint(&dir);
    index.search("calm", None, 3).unwrap();
    index.verify().unwrap();
    let other = TextIndex::open(&dir).unwrap();
    other.search("piano", None, 3).unwrap();
    assert_eq!(fingerprint(&dir), before);
}

#[test]
fn shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TextIndex>();
    let (_tmp, index) = small_index();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(matching(&index, "piano"), vec![0, 3, 4]));
        }
    });
}

#[test]
fn syntax_errors_name_the_query_and_the_problem() {
    let (_tmp, index) = small_index();
    for query in [
        "calm AND (piano",
        "-vocals",
        "nosuchfield:calm",
        "   ",
        "tag:\"mood:calm",
        "tag:mood:calm",
        "NOT vocals",
    ] {
        match index.search(query, None, 5) {
            Err(IndexError::TextQuery { query: q, message }) => {
                assert_eq!(q, query);
                assert!(!message.is_empty());
                let shown = IndexError::TextQuery { query: q, message }.to_string();
                assert!(shown.contains(&format!("{query:?}")), "{shown}");
            }
            other => panic!("{query}: {other:?}"),
        }
    }
}

/// Issue 14: 10k parentheses or 30k NOTs overflowed the stack in tantivy's recursive parser
/// and aborted the process; nesting is capped as in the filter language.
#[test]
fn deeply_nested_queries_are_refused_not_a_crash() {
    let (_tmp, index) = small_index();
    let parens = format!("{}piano{}", "(".repeat(10_000), ")".repeat(10_000));
    let nots = format!("calm AND {}piano", "NOT ".repeat(30_000));
    let mixed = format!("{}piano{}", "NOT (".repeat(40), ")".repeat(40));
    for query in [parens, nots, mixed] {
        match index.search(&query, None, 5) {
            Err(IndexError::TextQuery { message, .. }) => {
                assert!(message.contains("nested too deeply"), "{message}");
            }
            other => panic!("{}...: {other:?}", &query[..40]),
        }
    }
    // At the cap a query still runs; quoted parentheses and NOTs are words, not nesting.
    let at_cap = format!("calm AND {}piano{}", "(".repeat(64), ")".repeat(64));
    assert_eq!(rows(&index, &at_cap), rows(&index, "calm AND piano"));
    let over = format!("calm AND {}piano{}", "(".repeat(65), ")".repeat(65));
    assert!(index.search(&over, None, 5).is_err());
    let quoted = format!("caption:\"{}\"", "NOT (".repeat(100));
    index.search(&quoted, None, 5).unwrap();
}

#[test]
fn bad_arguments_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    fs::create_dir(&full).unwrap();
    fs::write(full.join("something"), b"x").unwrap();
    assert!(matches!(
        TextIndexWriter::create(&full, 1),
        Err(IndexError::InvalidArgument(_))
    ));
    assert!(matches!(
        TextIndexWriter::create(&tmp.path().join("t"), 0),
        Err(IndexError::InvalidArgument(_))
    ));
    let mut writer = TextIndexWriter::create(&tmp.path().join("t"), 1).unwrap();
    let err = writer
        .add(&TextDoc {
            row: 1,
            track_id: "x",
            title: None,
            artist: None,
            album: None,
            caption: None,
            tags: &[],
        })
        .unwrap_err();
    assert!(matches!(err, IndexError::InvalidArgument(_)), "{err}");
    // An empty index is an index.
    writer.finish().unwrap();
    let empty = TextIndex::open(&tmp.path().join("t")).unwrap();
    assert_eq!(empty.docs(), 0);
    assert!(empty.search("calm", None, 3).unwrap().is_empty());
    // Extending into a folder that holds something is refused before anything is written.
    assert!(matches!(
        TextIndexWriter::extend(&tmp.path().join("t"), &full, 1),
        Err(IndexError::InvalidArgument(_))
    ));
}

/// The error of opening and searching `dir`, which must name it.
fn open_and_search_error(dir: &Path) -> IndexError {
    let result = TextIndex::open(dir).and_then(|index| {
        index.verify()?;
        index.search("calm OR piano", None, 5)
    });
    let err = result.expect_err("a damaged index gives an error");
    let shown = err.to_string();
    assert!(shown.contains(&dir.display().to_string()), "{shown}");
    err
}

#[test]
fn missing_or_corrupt_files_are_errors_naming_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let fresh = |name: &str| {
        let dir = tmp.path().join(name);
        let files = build(&dir, TRACKS);
        (dir, files)
    };

    let err = open_and_search_error(&tmp.path().join("never-built"));
    assert!(matches!(err, IndexError::Io { .. }), "{err}");

    let (dir, _) = fresh("no-meta");
    fs::remove_file(dir.join("meta.json")).unwrap();
    let err = open_and_search_error(&dir);
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");

    let (dir, _) = fresh("bad-meta");
    fs::write(dir.join("meta.json"), b"{\"segments\": [").unwrap();
    let err = open_and_search_error(&dir);
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");

    let (dir, files) = fresh("no-segment-file");
    let postings = files.iter().find(|f| f.ends_with(".idx")).unwrap();
    fs::remove_file(dir.join(postings)).unwrap();
    let err = open_and_search_error(&dir);
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");

    // tantivy opens a segment without its positions file as one without positions; the open
    // must fail, not the first phrase search (a reader racing a writer's garbage collection
    // relies on it to move on to the newer version).
    let (dir, files) = fresh("no-positions-file");
    let positions = files.iter().find(|f| f.ends_with(".pos")).unwrap();
    fs::remove_file(dir.join(positions)).unwrap();
    let err = TextIndex::open(&dir).expect_err("a missing positions file fails the open");
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains(&dir.display().to_string()),
        "{err}"
    );

    // Each kind of segment file cut short, and with a stretch overwritten.
    let extensions: Vec<&str> = files
        .iter()
        .filter(|f| !f.ends_with(".json"))
        .filter_map(|f| f.rsplit_once('.').map(|(_, ext)| ext))
        .collect();
    assert!(extensions.len() >= 5, "{files:?}");
    let segment_file = |dir: &Path, files: &[String], ext: &str| {
        let name = files
            .iter()
            .find(|f| f.ends_with(&format!(".{ext}")))
            .unwrap();
        dir.join(name)
    };
    for ext in extensions {
        let (dir, files) = fresh(&format!("cut-{ext}"));
        let path = segment_file(&dir, &files, ext);
        let data = fs::read(&path).unwrap();
        fs::write(&path, &data[..data.len() / 2]).unwrap();
        open_and_search_error(&dir);

        let (dir, files) = fresh(&format!("overwritten-{ext}"));
        let path = segment_file(&dir, &files, ext);
        let mut data = fs::read(&path).unwrap();
        let (from, to) = (data.len() / 4, data.len() / 2);
        data[from..to].fill(0xA5);
        fs::write(&path, &data).unwrap();
        // Without the checksums, a search may or may not notice; it must not panic.
        if let Ok(index) = TextIndex::open(&dir)
            && let Err(err) = index.search("calm OR piano OR \"slow piano\"", None, 5)
        {
            assert!(matches!(err, IndexError::Corrupt { .. }), "{ext}: {err}");
        }
        let err = open_and_search_error(&dir);
        assert!(matches!(err, IndexError::Corrupt { .. }), "{ext}: {err}");
    }
}

#[test]
fn a_newer_format_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    build(&dir, TRACKS);
    let meta = fs::read_to_string(dir.join("meta.json")).unwrap();
    assert!(meta.contains(super::schema::FORMAT_PAYLOAD));
    let newer = meta.replace(super::schema::FORMAT_PAYLOAD, "segue-text-index/2");
    fs::write(dir.join("meta.json"), newer).unwrap();
    let err = TextIndex::open(&dir).unwrap_err();
    assert!(matches!(err, IndexError::Incompatible { .. }), "{err}");
}

/// Builds 100k synthetic tracks and prints the time it takes (run with `--ignored
/// --nocapture`; timing goals belong to benchmarks, this only checks the result).
#[test]
#[ignore = "slow in debug builds; prints build and query times"]
fn builds_100k_synthetic_tracks() {
    let words = [
        "calm", "dark", "bright", "piano", "guitar", "drums", "synth", "strings", "slow", "fast",
        "warm", "cold", "night", "morning", "vocals", "ambient", "rock", "pop", "jazz", "soul",
    ];
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    let start = std::time::Instant::now();
    let mut writer = TextIndexWriter::create(&dir, 2).unwrap();
    let n = 100_000u32;
    for row in 0..n {
        let w = |i: u32| words[((row.wrapping_mul(2654435761) >> (i * 3)) % 20) as usize];
        let caption = format!("{} {} with {} and {}", w(0), w(1), w(2), w(3));
        let title = format!("{} {}", w(4), w(5));
        let tags = vec![
            format!("mood:{}", w(6)),
            format!("genre:{}", w(7)),
            format!("instrument:{}", w(8)),
        ];
        let id = format!("synthetic-{row}");
        writer
            .add(&TextDoc {
                row,
                track_id: &id,
                title: Some(&title),
                artist: Some("Synthetic Artist"),
                album: None,
                caption: Some(&caption),
                tags: &tags,
            })
            .unwrap();
    }
    let files = writer.finish().unwrap();
    let built = start.elapsed();
    let bytes: u64 = files
        .iter()
        .map(|f| fs::metadata(dir.join(f)).unwrap().len())
        .sum();
    let index = TextIndex::open(&dir).unwrap();
    assert_eq!(index.docs(), u64::from(n));
    let allowed: RoaringBitmap = (0..n).step_by(10).collect();
    let start = std::time::Instant::now();
    let queries = 100;
    for _ in 0..queries {
        let hits = index.search("calm piano", Some(&allowed), 10).unwrap();
        assert_eq!(hits.len(), 10);
    }
    let per_query = start.elapsed() / queries;
    println!(
        "100k tracks: built in {built:.2?} ({} files, {:.1} MB); filtered query {per_query:.2?}",
        files.len(),
        bytes as f64 / 1e6
    );
}

/// A varied corpus for the sharding tests: captions and tags drawn from small vocabularies so
/// that terms are common in some shards and rare in others, and many scores tie.
fn varied_doc(row: u32) -> (String, Vec<String>, String) {
    const WORDS: [&str; 9] = [
        "piano", "calm", "guitar", "dark", "bright", "strings", "drums", "slow", "warm",
    ];
    let pick = |salt: u32| WORDS[((row.wrapping_mul(2654435761) >> salt) % 9) as usize];
    let length = 1 + (row.wrapping_mul(40503) >> 7) % 6;
    let caption: Vec<&str> = (0..length).map(|i| pick(3 + i * 3)).collect();
    let tags = vec![format!("mood:{}", pick(11)), format!("genre:g{}", row % 4)];
    (caption.join(" "), tags, format!("Artist {}", row % 13))
}

fn add_varied(writer: &mut TextIndexWriter, row: u32, source_row: u32) {
    let (caption, tags, artist) = varied_doc(source_row);
    let id = format!("t{source_row}");
    writer
        .add(&TextDoc {
            row,
            track_id: &id,
            title: None,
            artist: Some(&artist),
            album: None,
            caption: Some(&caption),
            tags: &tags,
        })
        .unwrap();
}

#[test]
fn shards_scored_with_summed_statistics_rank_as_one_index() {
    const ROWS: u32 = 1500;
    const SHARDS: u32 = 3;
    let tmp = tempfile::tempdir().unwrap();
    let whole_dir = tmp.path().join("whole");
    let mut writer = TextIndexWriter::create(&whole_dir, 2).unwrap();
    for row in 0..ROWS {
        add_varied(&mut writer, row, row);
    }
    writer.finish().unwrap();
    let whole = TextIndex::open(&whole_dir).unwrap();
    // Shard s holds the rows whose hash picks it, in global order; `global[s][local]` maps back.
    let shard_of = |row: u32| (row.wrapping_mul(2246822519) >> 13) % SHARDS;
    let mut shards = Vec::new();
    let mut global: Vec<Vec<u64>> = Vec::new();
    for s in 0..SHARDS {
        let dir = tmp.path().join(format!("shard-{s}"));
        let mut writer = TextIndexWriter::create(&dir, 1).unwrap();
        let rows: Vec<u32> = (0..ROWS).filter(|&r| shard_of(r) == s).collect();
        for (local, &row) in rows.iter().enumerate() {
            add_varied(&mut writer, local as u32, row);
        }
        writer.finish().unwrap();
        shards.push(TextIndex::open(&dir).unwrap());
        global.push(rows.iter().map(|&r| u64::from(r)).collect());
    }
    for query in [
        "piano",
        "calm piano",
        "\"slow piano\"",
        "tag:\"mood:dark\" strings",
        "+drums -guitar",
        "artist:\"Artist 7\" warm^2",
        "genre",
    ] {
        for k in [1, 10, 200] {
            let expected = whole.search(query, None, k).unwrap();
            let parts: Vec<_> = shards
                .iter()
                .map(|s| s.statistics(query).unwrap())
                .collect();
            let summed = super::TextStatistics::sum(&parts);
            assert_eq!(summed, whole.statistics(query).unwrap(), "{query}");
            let mut merged: Vec<crate::exact::Hit> = Vec::new();
            for (s, shard) in shards.iter().enumerate() {
                let hits = shard
                    .search_scored_by(query, Some(&summed), None, k)
                    .unwrap();
                merged.extend(hits.into_iter().map(|h| crate::exact::Hit {
                    row: global[s][h.row as usize],
                    score: h.score,
                }));
            }
            merged.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
            merged.truncate(k);
            assert_eq!(merged, expected, "{query} k={k}");
            // Without the summed statistics a shard's own scores differ from the whole's.
            if query == "piano" && k == 10 {
                let own = shards[0].search(query, None, 1).unwrap();
                let scored = shards[0].search_scored_by(query, Some(&summed), None, 1);
                assert_ne!(own[0].score, scored.unwrap()[0].score);
            }
        }
    }
}

#[test]
fn statistics_lacking_a_term_of_the_query_are_refused() {
    let (_tmp, index) = small_index();
    let stats = index.statistics("piano").unwrap();
    assert_eq!(stats.docs, 5);
    let err = index
        .search_scored_by("piano calm", Some(&stats), None, 10)
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, IndexError::TextQuery { .. }), "{message}");
    assert!(message.contains("calm"), "{message}");
    // Statistics serialise to readable JSON and back.
    let json = serde_json::to_string(&stats).unwrap();
    assert!(json.contains("\"caption:piano\""), "{json}");
    let back: super::TextStatistics = serde_json::from_str(&json).unwrap();
    assert_eq!(back, stats);
}
