//! Huge pages for the arrays that walks read at random: a graph's links, the int8 copy a walk
//! scores on, and (during a build) the rows it links.
//!
//! Why: a walk over millions of rows reads link records and rows scattered over gigabytes (at
//! 10M × 128 the int8 copy is 1.3 GB and an M 32 graph 2.6 GB), so with 4 KiB pages nearly
//! every read misses the TLB as well as the caches, and on a virtual machine each TLB miss
//! walks two page tables. 2 MiB pages cover the same bytes with 512 times fewer entries.
//! Linux backs a mapping with them only where asked (`madvise(MADV_HUGEPAGE)`) under its usual
//! `transparent_hugepage=madvise` setting. The advice changes speed only: where it is refused
//! or unknown (other systems, kernels without transparent huge pages), nothing else changes.
//!
//! Not for the f32 rows a search re-ranks: a file mapping asked for huge pages is read 2 MiB
//! around each fault, which would pull the whole f32 file into memory for the few rows a
//! search reads from it.
//!
//! The advice alone rarely gives a file mapping huge pages: a file the ingest or the build
//! just wrote sits in the page cache in small pieces, and the system maps those as they are.
//! So an opened library copies what its walks read into anonymous memory ([`resident_copy`]),
//! where the advice is honoured as the copy is written (see `WalkMemory` in `library.rs`).

use std::sync::atomic::AtomicU32;

use memmap2::{Mmap, MmapMut, MmapRaw};

/// A mapping smaller than this cannot hold an aligned huge page.
const HUGE_PAGE_BYTES: usize = 2 << 20;

/// Asks for huge pages under `map` (best effort: see the module docs).
pub(crate) fn advise(map: &Mmap) {
    #[cfg(target_os = "linux")]
    if map.len() >= HUGE_PAGE_BYTES {
        // Refusal (EINVAL without transparent huge pages) leaves the mapping as it was.
        let _ = map.advise(memmap2::Advice::HugePage);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = map;
}

/// A private, read-only copy of `map`'s bytes in anonymous memory, on huge pages where the
/// system grants them. The copy keeps `map`'s offsets (and so its alignment: both start on a
/// page), so whatever was read through `map` reads the same through the copy.
pub(crate) fn resident_copy(map: &Mmap) -> std::io::Result<Mmap> {
    let mut copy = MmapMut::map_anon(map.len())?;
    #[cfg(target_os = "linux")]
    if copy.len() >= HUGE_PAGE_BYTES {
        // Before the first write: the pages are then allocated huge as the copy touches them.
        let _ = copy.advise(memmap2::Advice::HugePage);
    }
    copy.copy_from_slice(map);
    copy.make_read_only()
}

/// A zeroed array of atomic words on huge pages where the system grants them: the link lists
/// of a graph being built, which every insert reads and writes at random.
pub(crate) struct ZeroedWords {
    storage: Storage,
}

enum Storage {
    Mapped(MmapRaw),
    Heap(Box<[AtomicU32]>),
}

impl ZeroedWords {
    pub(crate) fn new(len: usize) -> ZeroedWords {
        let bytes = len * std::mem::size_of::<AtomicU32>();
        if bytes >= HUGE_PAGE_BYTES
            && let Ok(map) = MmapMut::map_anon(bytes)
        {
            // Raw: the words are written through atomics from shared references.
            let map = MmapRaw::from(map);
            #[cfg(target_os = "linux")]
            let _ = map.advise(memmap2::Advice::HugePage);
            return ZeroedWords {
                storage: Storage::Mapped(map),
            };
        }
        // Small arrays, or no anonymous mapping to be had: the heap serves as well.
        ZeroedWords {
            storage: Storage::Heap((0..len).map(|_| AtomicU32::new(0)).collect()),
        }
    }

    pub(crate) fn as_slice(&self) -> &[AtomicU32] {
        match &self.storage {
            // SAFETY: the anonymous mapping is page-aligned (so aligned for u32), a whole
            // number of words long (it was asked for `len` words), zero-filled by the system
            // (a valid AtomicU32), lives as long as `self`, and is only ever accessed through
            // these atomics. The pointer is the mapping's own, not derived from a reference to
            // its bytes.
            Storage::Mapped(map) => unsafe {
                std::slice::from_raw_parts(
                    map.as_mut_ptr().cast::<AtomicU32>(),
                    map.len() / std::mem::size_of::<AtomicU32>(),
                )
            },
            Storage::Heap(words) => words,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::Relaxed;

    use super::*;

    #[test]
    fn a_resident_copy_reads_like_its_file_small_or_over_a_huge_page() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, 4095, HUGE_PAGE_BYTES + 12_345] {
            let path = dir.path().join(format!("bytes-{len}"));
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            // SAFETY: the test's own file, not modified while mapped.
            let map = unsafe { Mmap::map(&file) }.unwrap();
            let copy = resident_copy(&map).unwrap();
            assert_eq!(&copy[..], &bytes[..], "len {len}");
            assert!(
                len == 0 || (copy.as_ptr() as usize).is_multiple_of(4096),
                "a copy starts on a page"
            );
        }
    }

    #[test]
    fn zeroed_words_start_at_zero_and_keep_what_is_stored_small_or_large() {
        for len in [0, 10, HUGE_PAGE_BYTES, 3 * HUGE_PAGE_BYTES / 4 + 7] {
            let words = ZeroedWords::new(len);
            let s = words.as_slice();
            assert_eq!(s.len(), len);
            assert!(s.iter().all(|w| w.load(Relaxed) == 0), "len {len}");
            for (i, w) in s.iter().enumerate().step_by(4099) {
                w.store(i as u32 ^ 0xA5A5_A5A5, Relaxed);
            }
            for (i, w) in s.iter().enumerate().step_by(4099) {
                assert_eq!(w.load(Relaxed), i as u32 ^ 0xA5A5_A5A5);
            }
        }
    }
}
