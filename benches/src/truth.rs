//! Ground truth for search benchmarks: the exact top k of many queries in one pass over the
//! vectors, recall against it, and the two kinds of filter the benchmarks apply (rows chosen
//! by a hash, independent of the vectors; a BPM window, which follows the clusters the vectors
//! are drawn from).

use std::path::Path;

use roaring::RoaringBitmap;
use segue_index::manifest::FileRef;
use segue_index::vectors::VectorFile;

/// Rows read per block: the block's vectors stay in cache while every query is scored on them.
const BLOCK_ROWS: usize = 2048;

/// Opens a vector file of queries or base vectors on its own header (a benchmark's files have
/// no manifest to check them against).
pub fn open_vectors(path: &Path) -> anyhow::Result<VectorFile> {
    let mut bytes = [0u8; 64];
    std::io::Read::read_exact(&mut std::fs::File::open(path)?, &mut bytes)
        .map_err(|e| anyhow::anyhow!("{}: no vector file header: {e}", path.display()))?;
    let dim = u32::from_le_bytes(bytes[12..16].try_into()?);
    let crc = u32::from_le_bytes(bytes[24..28].try_into()?);
    let len = std::fs::metadata(path)?.len();
    let fref = FileRef {
        path: path.display().to_string(),
        bytes: len,
        crc32: crc,
    };
    Ok(VectorFile::open(path, dim, &fref)?)
}

/// The `k` rows of highest dot product with each query (best first; ties to the lower row),
/// among `allowed` rows or all of them, on `threads` threads. One pass over the vectors for all
/// queries: at 10M rows a per-query scan reads 5 GB for each query, this reads it once.
pub fn exact_top_k(
    v: &VectorFile,
    queries: &[Vec<f32>],
    allowed: Option<&RoaringBitmap>,
    k: usize,
    threads: usize,
) -> Vec<Vec<u64>> {
    let rows = v.rows() as usize;
    let threads = threads.max(1);
    let chunk = rows.div_ceil(threads).max(1);
    let partial: Vec<Vec<Vec<(f32, u64)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(rows)..((t + 1) * chunk).min(rows);
                s.spawn(move || scan_range(v, queries, allowed, k, range))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a truth thread panicked"))
            .collect()
    });
    (0..queries.len())
        .map(|q| {
            let mut all: Vec<(f32, u64)> = partial.iter().flat_map(|p| p[q].clone()).collect();
            all.sort_by(better_first);
            all.truncate(k);
            all.into_iter().map(|(_, r)| r).collect()
        })
        .collect()
}

fn better_first(a: &(f32, u64), b: &(f32, u64)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Each query's best `k` (unsorted beyond the cut) among the rows of `range`.
fn scan_range(
    v: &VectorFile,
    queries: &[Vec<f32>],
    allowed: Option<&RoaringBitmap>,
    k: usize,
    range: std::ops::Range<usize>,
) -> Vec<Vec<(f32, u64)>> {
    let kernel = segue_index::kernels::selected();
    let mut best: Vec<Vec<(f32, u64)>> = vec![Vec::with_capacity(2 * k + 1); queries.len()];
    // Each query's k-th best score at its list's last cut: a row below it cannot enter.
    let mut floor = vec![f32::NEG_INFINITY; queries.len()];
    let mut block: Vec<u64> = Vec::with_capacity(BLOCK_ROWS);
    let mut rows = range
        .clone()
        .map(|r| r as u64)
        .filter(|r| allowed.is_none_or(|a| u32::try_from(*r).is_ok_and(|r| a.contains(r))));
    loop {
        block.clear();
        block.extend(rows.by_ref().take(BLOCK_ROWS));
        if block.is_empty() {
            break;
        }
        for ((q, top), floor) in queries.iter().zip(best.iter_mut()).zip(floor.iter_mut()) {
            for &r in &block {
                let s = kernel.dot(q, v.row(r as usize));
                // A candidate list twice the size of k, cut back to k when full: amortised
                // O(1) per row instead of a heap operation.
                if s >= *floor {
                    top.push((s, r));
                    if top.len() > 2 * k {
                        top.sort_by(better_first);
                        top.truncate(k);
                        *floor = top[k - 1].0;
                    }
                }
            }
        }
    }
    for top in &mut best {
        top.sort_by(better_first);
        top.truncate(k);
    }
    best
}

/// Share of the true top-k rows that `got` holds, over all queries.
pub fn recall(truth: &[Vec<u64>], got: &[Vec<u64>]) -> f64 {
    let (mut hit, mut all) = (0usize, 0usize);
    for (t, g) in truth.iter().zip(got) {
        all += t.len();
        hit += t.iter().filter(|r| g.contains(r)).count();
    }
    hit as f64 / all.max(1) as f64
}

/// A filter keeping about `fraction` of the rows, independent of the vectors (a hash of the row).
pub fn random_filter(rows: u64, fraction: f64) -> RoaringBitmap {
    let cut = (fraction * u64::MAX as f64) as u64;
    (0..rows as u32)
        .filter(|&r| {
            // splitmix64: a fixed, well-mixed hash, so the set is the same in every run.
            let mut z = u64::from(r).wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31) < cut
        })
        .collect()
}

/// A BPM window holding `fraction` of the rows, centred on the median: (rows, low, high).
pub fn bpm_window(bpm: &[f32], fraction: f64) -> (RoaringBitmap, f32, f32) {
    let mut sorted: Vec<f32> = bpm.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f32::total_cmp);
    let n = sorted.len();
    let width = ((n as f64 * fraction) as usize).max(1);
    let lo_i = n / 2 - width / 2;
    let (lo, hi) = (sorted[lo_i], sorted[(lo_i + width - 1).min(n - 1)]);
    let set = bpm
        .iter()
        .enumerate()
        .filter(|(_, b)| **b >= lo && **b <= hi)
        .map(|(i, _)| i as u32)
        .collect();
    (set, lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use segue_index::exact::{Rows, top_k_normalised};
    use segue_index::manifest::FileRef;
    use segue_index::vectors::VectorFileWriter;

    fn unit(seed: u64, dim: usize) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let v: Vec<f32> = (0..dim)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 2001) as f32 / 1000.0 - 1.0
            })
            .collect();
        let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
        v.into_iter().map(|a| a / n).collect()
    }

    #[test]
    fn one_pass_truth_equals_the_per_query_scan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.f32");
        let (rows, dim) = (5000u64, 24usize);
        let mut w = VectorFileWriter::create(&path, dim as u32).unwrap();
        for r in 0..rows {
            w.push(&unit(r + 1, dim)).unwrap();
        }
        let fref: FileRef = w.finish("v").unwrap();
        let v = VectorFile::open(&path, dim as u32, &fref).unwrap();
        let queries: Vec<Vec<f32>> = (0..20).map(|i| unit(10_000 + i, dim)).collect();
        let allowed = random_filter(rows, 0.1);
        let few = random_filter(rows, 0.01);
        for filter in [None, Some(&allowed), Some(&few)] {
            for threads in [1, 3] {
                let got = exact_top_k(&v, &queries, filter, 10, threads);
                for (q, g) in queries.iter().zip(&got) {
                    let rows = filter.map_or(Rows::All, Rows::Set);
                    let want: Vec<u64> = top_k_normalised(&v, q, 10, rows, 1)
                        .unwrap()
                        .iter()
                        .map(|h| h.row)
                        .collect();
                    assert_eq!(*g, want);
                    if let Some(a) = filter {
                        assert!(g.iter().all(|r| a.contains(*r as u32)));
                    }
                }
            }
        }
    }

    #[test]
    fn filters_keep_about_their_fraction() {
        let set = random_filter(100_000, 0.01);
        assert!((900..1100).contains(&set.len()), "{}", set.len());
        let bpm: Vec<f32> = (0..10_000).map(|i| (i % 100) as f32 + 60.0).collect();
        let (set, lo, hi) = bpm_window(&bpm, 0.1);
        assert!(lo <= hi);
        assert!((1000..=1100).contains(&set.len()), "{}", set.len());
    }
}
