//! A reusable "visited" set for graph searches: one stamp per node, cleared in O(1) by bumping
//! the generation, kept per thread so queries do not allocate.

use std::cell::RefCell;

#[derive(Debug, Default)]
pub struct Visited {
    stamps: Vec<u32>,
    generation: u32,
}

impl Visited {
    /// Starts a new search over `n` nodes.
    pub fn reset(&mut self, n: usize) {
        if self.stamps.len() < n {
            self.stamps.resize(n, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Wrapped: old stamps could equal the new generation. Clear once every 4 billion.
            self.stamps.fill(0);
            self.generation = 1;
        }
    }

    /// Whether `node` is marked in this search.
    #[inline]
    pub fn contains(&self, node: u32) -> bool {
        self.stamps[node as usize] == self.generation
    }

    /// Marks `node`; true if it was not yet marked in this search.
    #[inline]
    pub fn insert(&mut self, node: u32) -> bool {
        let slot = &mut self.stamps[node as usize];
        if *slot == self.generation {
            false
        } else {
            *slot = self.generation;
            true
        }
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
