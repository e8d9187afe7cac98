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
