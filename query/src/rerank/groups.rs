//! Hard caps as groups: every capped value (an artist, an album, one tag under a capped
//! prefix) is a group with a capacity, and a candidate belongs to the groups of its values. A
//! candidate may be picked while every group it belongs to has room.
//!
//! Caps only tighten as picks are made, so a candidate that no longer fits never fits again:
//! the rerankers drop it for good, which is what lets caps and diversity run in one pass.

use std::collections::HashMap;

/// The capped groups of the candidates of one pool (candidate `i` = pool index `i`).
#[derive(Debug, Clone, Default)]
pub struct CapGroups {
    items: usize,
    /// `members[starts[i]..starts[i + 1]]` are the groups of candidate `i`.
    starts: Vec<u32>,
    members: Vec<u32>,
    capacity: Vec<u32>,
}

impl CapGroups {
    /// No caps over `items` candidates.
    pub fn none(items: usize) -> CapGroups {
        CapGroups {
            items,
            starts: vec![0; items + 1],
            members: Vec::new(),
            capacity: Vec::new(),
        }
    }

    /// Candidates in the pool.
    pub fn items(&self) -> usize {
        self.items
    }

    /// Whether any group is capped.
    pub fn is_empty(&self) -> bool {
        self.capacity.is_empty()
    }

    /// The groups of candidate `i`.
    pub fn groups_of(&self, i: usize) -> &[u32] {
        &self.members[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    /// Counts of picks per group, starting at zero.
    pub fn counter(&self) -> CapCounter<'_> {
        CapCounter {
            groups: self,
            used: vec![0; self.capacity.len()],
        }
    }
}

/// Builds [`CapGroups`]: groups are named by a key (e.g. `(kind, value code)`), created on
/// first use with the capacity given then.
#[derive(Debug)]
pub struct CapGroupsBuilder<K> {
    items: usize,
    ids: HashMap<K, u32>,
    capacity: Vec<u32>,
    pairs: Vec<(u32, u32)>,
}

impl<K: std::hash::Hash + Eq> CapGroupsBuilder<K> {
    pub fn new(items: usize) -> Self {
        CapGroupsBuilder {
            items,
            ids: HashMap::new(),
            capacity: Vec::new(),
            pairs: Vec::new(),
        }
    }

    /// Candidate `item` belongs to the group `key`, which holds at most `capacity` picks.
    pub fn assign(&mut self, item: usize, key: K, capacity: u32) {
        debug_assert!(item < self.items);
        let next = self.capacity.len() as u32;
        let id = *self.ids.entry(key).or_insert_with(|| next);
        if id == next {
            self.capacity.push(capacity);
        }
        self.pairs.push((item as u32, id));
    }

    pub fn build(mut self) -> CapGroups {
        self.pairs.sort_unstable();
        self.pairs.dedup();
        let mut starts = Vec::with_capacity(self.items + 1);
        let mut members = Vec::with_capacity(self.pairs.len());
        let mut p = 0;
        for i in 0..self.items as u32 {
            starts.push(members.len() as u32);
            while p < self.pairs.len() && self.pairs[p].0 == i {
                members.push(self.pairs[p].1);
                p += 1;
            }
        }
        starts.push(members.len() as u32);
        CapGroups {
            items: self.items,
            starts,
            members,
            capacity: self.capacity,
        }
    }
}

/// Picks so far per group.
#[derive(Debug, Clone)]
pub struct CapCounter<'g> {
    groups: &'g CapGroups,
    used: Vec<u32>,
}

impl CapCounter<'_> {
    /// Candidate `i` fits: every group it belongs to has room.
    pub fn allows(&self, i: usize) -> bool {
        self.groups
            .groups_of(i)
            .iter()
            .all(|&g| self.used[g as usize] < self.groups.capacity[g as usize])
    }

    /// Candidate `i` is picked.
    pub fn take(&mut self, i: usize) {
        for &g in self.groups.groups_of(i) {
            self.used[g as usize] += 1;
        }
    }
}
