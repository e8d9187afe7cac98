use super::*;
use proptest::prelude::*;

fn write(dir: &Path, name: &str, dim: u32, rows: &[Vec<f32>]) -> (PathBuf, FileRef) {
    let path = dir.join(name);
    let mut w = VectorFileWriter::create(&path, dim).unwrap();
    for r in rows {
        w.push(r).unwrap();
    }
    (path.clone(), w.finish(name).unwrap())
}

#[test]
fn rows_come_back_normalised_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (path, fref) = write(dir.path(), "a.f32", 2, &[vec![3.0, 4.0], vec![0.0, 2.0]]);
    let f = VectorFile::open(&path, 2, &fref).unwrap();
    assert_eq!(f.rows(), 2);
    assert_eq!(f.row(0), &[0.6, 0.8]);
    assert_eq!(f.row(1), &[0.0, 1.0]);
    f.verify().unwrap();
}

proptest! {
    #[test]
    fn blocks_read_from_the_file_are_the_mapped_rows(
        rows in proptest::collection::vec(proptest::collection::vec(0.1f32..10.0, 3), 1..30),
        block_rows in 1usize..12,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (path, fref) = write(dir.path(), "b.f32", 3, &rows);
        let f = VectorFile::open(&path, 3, &fref).unwrap();
        let mut streamed = Vec::new();
        let mut sizes = Vec::new();
        f.for_each_block(block_rows, |b| {
            sizes.push(b.len());
            streamed.extend_from_slice(b);
            Ok(())
        }).unwrap();
        prop_assert!(sizes.iter().all(|&n| n % 3 == 0 && n > 0 && n <= 3 * block_rows));
        let blocks = sizes.len();
        prop_assert_eq!(&streamed[..], f.as_slice());
        prop_assert_eq!(blocks, rows.len().div_ceil(block_rows));
    }
}

#[test]
fn copying_combines_checksums_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let (p1, r1) = write(
        dir.path(),
        "v1.f32",
        3,
        &[vec![1.0, 2.0, 3.0], vec![-1.0, 0.5, 0.0]],
    );
    let old = VectorFile::open(&p1, 3, &r1).unwrap();
    let p2 = dir.path().join("v2.f32");
    let mut w = VectorFileWriter::create(&p2, 3).unwrap();
    w.copy_all_from(&old).unwrap();
    w.push(&[0.0, 0.0, 9.0]).unwrap();
    let r2 = w.finish("v2.f32").unwrap();
    let new = VectorFile::open(&p2, 3, &r2).unwrap();
    new.verify().unwrap();
    assert_eq!(new.rows(), 3);
    assert_eq!(new.row(0), old.row(0));
    assert_eq!(new.row(2), &[0.0, 0.0, 1.0]);
}

#[test]
fn truncation_and_bit_flips_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, fref) = write(
        dir.path(),
        "a.f32",
        4,
        &[vec![1.0; 4], vec![2.0, 1.0, 0.0, 1.0]],
    );
    let bytes = std::fs::read(&path).unwrap();

    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let err = VectorFile::open(&path, 4, &fref).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");

    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    std::fs::write(&path, &flipped).unwrap();
    // Same size, so only the checksum can tell: the header check passes, verify() fails.
    let stale = FileRef {
        crc32: fref.crc32,
        ..fref.clone()
    };
    let f = VectorFile::open(&path, 4, &stale).unwrap();
    assert!(matches!(f.verify(), Err(IndexError::Corrupt { .. })));

    let mut bad_magic = bytes.clone();
    bad_magic[0] = b'X';
    std::fs::write(&path, &bad_magic).unwrap();
    assert!(
        VectorFile::open(&path, 4, &fref)
            .unwrap_err()
            .to_string()
            .contains("magic")
    );

    let mut newer = bytes;
    newer[8] = 99;
    std::fs::write(&path, &newer).unwrap();
    let err = VectorFile::open(&path, 4, &fref).unwrap_err();
    assert!(matches!(err, IndexError::Incompatible { .. }), "{err}");
}

#[test]
fn a_wrong_dimension_or_zero_vector_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = VectorFileWriter::create(&dir.path().join("x"), 3).unwrap();
    assert!(w.push(&[1.0, 2.0]).is_err());
    assert!(w.push(&[0.0, 0.0, 0.0]).is_err());
    assert!(VectorFileWriter::create(&dir.path().join("y"), 0).is_err());
}

proptest! {
    #[test]
    fn selective_copy_equals_the_kept_rows(rows in proptest::collection::vec(proptest::collection::vec(0.1f32..10.0, 5), 1..40), mask in proptest::collection::vec(any::<bool>(), 40)) {
        let dir = tempfile::tempdir().unwrap();
        let (p, r) = write(dir.path(), "s.f32", 5, &rows);
        let src = VectorFile::open(&p, 5, &r).unwrap();
        let p2 = dir.path().join("t.f32");
        let mut w = VectorFileWriter::create(&p2, 5).unwrap();
        w.copy_rows_from(&src, |i| mask[i as usize]).unwrap();
        let r2 = w.finish("t.f32").unwrap();
        let dst = VectorFile::open(&p2, 5, &r2).unwrap();
        dst.verify().unwrap();
        let kept: Vec<usize> = (0..rows.len()).filter(|&i| mask[i]).collect();
        prop_assert_eq!(dst.rows() as usize, kept.len());
        for (j, &i) in kept.iter().enumerate() {
            prop_assert_eq!(dst.row(j), src.row(i));
        }
    }
}

#[test]
fn raw_norms_are_kept_through_pushes_and_copies() {
    let dir = tempfile::tempdir().unwrap();
    let (p1, r1) = write(dir.path(), "n1.f32", 2, &[vec![3.0, 4.0], vec![0.0, 0.5]]);
    let old = VectorFile::open(&p1, 2, &r1).unwrap();
    assert_eq!(old.norms(), Some(&[5.0f32, 0.5][..]));
    old.verify().unwrap();

    let p2 = dir.path().join("n2.f32");
    let mut w = VectorFileWriter::create(&p2, 2).unwrap();
    w.copy_all_from(&old).unwrap();
    w.push(&[0.0, -2.0]).unwrap();
    let r2 = w.finish("n2.f32").unwrap();
    let new = VectorFile::open(&p2, 2, &r2).unwrap();
    assert_eq!(new.norms(), Some(&[5.0f32, 0.5, 2.0][..]));
    new.verify().unwrap();

    let p3 = dir.path().join("n3.f32");
    let mut w = VectorFileWriter::create(&p3, 2).unwrap();
    w.copy_rows_from(&new, |i| i != 1).unwrap();
    let r3 = w.finish("n3.f32").unwrap();
    let kept = VectorFile::open(&p3, 2, &r3).unwrap();
    assert_eq!(kept.norms(), Some(&[5.0f32, 2.0][..]));
    assert_eq!(kept.row(1), &[0.0, -1.0]);
}

/// A format-1 file (no norms section), as older builds wrote it.
fn write_format_1(path: &Path, dim: u32, rows: &[Vec<f32>]) -> FileRef {
    let data: Vec<u8> = rows
        .iter()
        .flat_map(|r| {
            let n = r.iter().map(|x| x * x).sum::<f32>().sqrt();
            r.iter()
                .flat_map(move |x| (x / n).to_le_bytes())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut h = vec![0u8; HEADER_BYTES as usize];
    h[0..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&1u32.to_le_bytes());
    h[12..16].copy_from_slice(&dim.to_le_bytes());
    h[16..24].copy_from_slice(&(rows.len() as u64).to_le_bytes());
    h[24..28].copy_from_slice(&crc32fast::hash(&data).to_le_bytes());
    h[28..32].copy_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&data);
    std::fs::write(path, &h).unwrap();
    FileRef {
        path: "v1.f32".into(),
        bytes: h.len() as u64,
        crc32: crc32fast::hash(&data),
    }
}

#[test]
fn format_1_files_open_without_norms_and_copies_drop_them() {
    let dir = tempfile::tempdir().unwrap();
    let p1 = dir.path().join("v1.f32");
    let r1 = write_format_1(&p1, 2, &[vec![3.0, 4.0]]);
    let old = VectorFile::open(&p1, 2, &r1).unwrap();
    assert_eq!(old.norms(), None);
    assert_eq!(old.row(0), &[0.6, 0.8]);
    old.verify().unwrap();

    // Appending to a format-1 file: the copied rows have no known norm, so neither does the file.
    let p2 = dir.path().join("v2.f32");
    let mut w = VectorFileWriter::create(&p2, 2).unwrap();
    w.copy_all_from(&old).unwrap();
    w.push(&[1.0, 0.0]).unwrap();
    let r2 = w.finish("v2.f32").unwrap();
    let new = VectorFile::open(&p2, 2, &r2).unwrap();
    assert_eq!(new.norms(), None);
    assert_eq!(new.rows(), 2);
    new.verify().unwrap();
}

#[test]
fn a_damaged_norms_section_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let (path, fref) = write(dir.path(), "a.f32", 2, &[vec![3.0, 4.0], vec![1.0, 0.0]]);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let f = VectorFile::open(&path, 2, &fref).unwrap();
    let err = f.verify().unwrap_err();
    assert!(err.to_string().contains("norms checksum"), "{err}");
}
