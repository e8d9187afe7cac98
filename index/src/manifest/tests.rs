use super::*;

fn sample() -> Manifest {
    Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        library_version: 3,
        lance: LanceRef {
            path: "tracks.lance".into(),
            version: 5,
        },
        rows: 42,
        embeddings: BTreeMap::new(),
        files: vec![],
        build: BuildInfo::default(),
        ann: BTreeMap::new(),
        text_index: None,
        attachments: Default::default(),
        quantisation: Default::default(),
        quantised: Default::default(),
    }
}

#[test]
fn round_trips_through_the_envelope() {
    let m = sample();
    let bytes = m.encode().unwrap();
    assert_eq!(Manifest::decode(Path::new("M"), &bytes).unwrap(), m);
}

#[test]
fn a_flipped_byte_is_reported_as_corrupt() {
    let bytes = sample().encode().unwrap();
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("\"rows\": 42", "\"rows\": 43");
    let err = Manifest::decode(Path::new("M"), text.as_bytes()).unwrap_err();
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("checksum"), "{err}");
}

#[test]
fn a_newer_format_version_is_refused_clearly() {
    let mut m = sample();
    m.format_version = FORMAT_VERSION + 1;
    let err = Manifest::decode(Path::new("M"), &m.encode().unwrap()).unwrap_err();
    assert!(matches!(err, IndexError::Incompatible { .. }), "{err}");
    assert!(err.to_string().contains("upgrade segue"), "{err}");
}

#[test]
fn another_format_name_is_refused() {
    let mut m = sample();
    m.format = "something-else".into();
    let err = Manifest::decode(Path::new("M"), &m.encode().unwrap()).unwrap_err();
    assert!(matches!(err, IndexError::Incompatible { .. }), "{err}");
}

#[test]
fn garbage_is_corrupt_not_a_panic() {
    for bytes in [&b""[..], b"{", b"null", b"{\"crc32\": 1}"] {
        let err = Manifest::decode(Path::new("M"), bytes).unwrap_err();
        assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
    }
}
