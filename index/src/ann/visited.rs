//! A reusable "visited" set for graph searches: one bit per node, kept per thread so queries do
//! not allocate, and cleared by zeroing only the words the last search touched.
//!
//! A walk tests the mark of every link of every node it expands, at random over the whole set,
//! so the set's size decides how many of those tests can miss the cache: at 10M nodes one bit
//! per node is 1.25 MB, which fits in cache beside the rows being scored, where a 16-bit
//! generation stamp per node (cleared in O(1)) would take 20 MB, more than this machine's L3.
//! Every thread that searches keeps one set.

use std::cell::RefCell;

use crate::kernels::prefetch;

const WORD_BITS: usize = u64::BITS as usize;

#[derive(Debug, Default)]
pub struct Visited {
    bits: Vec<u64>,
    /// Indices of the words of `bits` that are not zero.
    touched: Vec<u32>,
}

impl Visited {
    /// Starts a new search over `n` nodes.
    pub fn reset(&mut self, n: usize) {
        for &w in &self.touched {
            self.bits[w as usize] = 0;
        }
        self.touched.clear();
        let words = n.div_ceil(WORD_BITS);
        if self.bits.len() < words {
            self.bits.resize(words, 0);
        }
    }

    #[inline]
    fn slot(node: u32) -> (usize, u64) {
        let node = node as usize;
        (node / WORD_BITS, 1 << (node % WORD_BITS))
    }

    /// Whether `node` is marked in this search.
    #[inline]
    pub fn contains(&self, node: u32) -> bool {
        let (word, bit) = Self::slot(node);
        self.bits[word] & bit != 0
    }

    /// Starts loading `node`'s mark: a walk asks for all of a node's links' marks before it
    /// tests them, so the tests' cache misses overlap instead of following one another.
    #[inline]
    pub fn prefetch(&self, node: u32) {
        if let Some(slot) = self.bits.get(Self::slot(node).0..) {
            prefetch(slot);
        }
    }

    /// Marks `node`; true if it was not yet marked in this search.
    #[inline]
    pub fn insert(&mut self, node: u32) -> bool {
        let (word, bit) = Self::slot(node);
        let w = &mut self.bits[word];
        if *w & bit != 0 {
            return false;
        }
        if *w == 0 {
            self.touched.push(word as u32);
        }
        *w |= bit;
        true
    }
}

thread_local! {
    static POOL: RefCell<Visited> = RefCell::new(Visited::default());
}

/// Runs `f` with this thread's visited set, reset for `n` nodes.
pub fn with_visited<R>(n: usize, f: impl FnOnce(&mut Visited) -> R) -> R {
    POOL.with(|cell| match cell.try_borrow_mut() {
        Ok(mut v) => {
            v.reset(n);
            f(&mut v)
        }
        // Re-entrant use (a search inside a search's callback): use a fresh set.
        Err(_) => {
            let mut v = Visited::default();
            v.reset(n);
            f(&mut v)
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Over a run of searches of different sizes, the set answers as a fresh hash set
        /// would: a reset forgets every mark, whichever words the marks were in.
        #[test]
        fn each_search_sees_only_its_own_marks(
            searches in prop::collection::vec(
                (1usize..300, prop::collection::vec(0u32..300, 0..80)),
                1..20,
            )
        ) {
            let mut v = Visited::default();
            for (n, nodes) in searches {
                v.reset(n);
                let mut want = HashSet::new();
                for node in nodes.into_iter().filter(|&x| (x as usize) < n) {
                    prop_assert_eq!(v.contains(node), want.contains(&node));
                    prop_assert_eq!(v.insert(node), want.insert(node));
                    prop_assert!(v.contains(node));
                    v.prefetch(node);
                }
                v.prefetch(10_000); // beyond the set: a hint, never a panic
            }
        }
    }
}
