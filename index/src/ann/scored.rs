//! A node and its similarity to a query, ordered for the candidate heaps of graph searches.

use std::cmp::Ordering;

/// Ordered by similarity (ties: lower row first, so results are deterministic).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub sim: f32,
    pub node: u32,
}

impl Eq for Scored {}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sim
            .total_cmp(&other.sim)
            .then(other.node.cmp(&self.node))
    }
}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Min-heap wrapper: the worst result on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Worst(pub std::cmp::Reverse<Scored>);

impl Worst {
    pub fn new(s: Scored) -> Worst {
        Worst(std::cmp::Reverse(s))
    }

    pub fn get(&self) -> Scored {
        self.0.0
    }
}

/// Asks the CPU to start loading the first 128 bytes of `v` (a vector or a link record) that we
/// are about to read: graph walks are bound by memory latency, not arithmetic.
#[inline(always)]
pub fn prefetch<T>(v: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = v.as_ptr() as *const i8;
        // Two cache lines: 32 floats or link words; the hardware prefetcher follows the rest.
        // SAFETY: prefetch is a hint and never faults, even for invalid addresses; SSE is part
        // of the x86_64 baseline.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(p);
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}
