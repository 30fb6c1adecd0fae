//! Disjoint sets that threads join at once, without locks: the regions'
//! parts are linked in parallel ([`super::regions`]). Connected components
//! do not depend on the order of the unions, so neither do the sets.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::error::{try_reserved, Result};

/// Sets of `0..n` under concurrent unions. Every element's parent is at
/// most itself, so parents never form a cycle.
///
/// ```
/// use fastmeanshift::segmentation::concurrent_sets::ConcurrentSets;
///
/// let sets = ConcurrentSets::new(4)?;
/// sets.unite(3, 1);
/// sets.unite(1, 2);
/// assert!(sets.same(2, 3));
/// assert!(!sets.same(0, 3));
/// assert_eq!(sets.into_parents().len(), 4);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub struct ConcurrentSets {
    parent: Vec<AtomicU32>,
}

impl ConcurrentSets {
    /// `n` sets of one element each (`n` at most `u32::MAX`).
    pub fn new(n: usize) -> Result<Self> {
        let mut parent = try_reserved(n)?;
        parent.extend((0..n as u32).map(AtomicU32::new));
        Ok(ConcurrentSets { parent })
    }

    /// The root of `i`'s set now, halving the path on the way (a lost race
    /// only leaves a longer path).
    pub fn find(&self, mut i: usize) -> usize {
        loop {
            let parent = self.parent[i].load(Relaxed);
            if parent as usize == i {
                return i;
            }
            let grandparent = self.parent[parent as usize].load(Relaxed);
            let _ = self.parent[i].compare_exchange_weak(parent, grandparent, Relaxed, Relaxed);
            i = grandparent as usize;
        }
    }

    /// Whether `a` and `b` are in one set already (a set only grows, so a
    /// `true` stays true).
    pub fn same(&self, a: usize, b: usize) -> bool {
        self.find(a) == self.find(b)
    }

    /// Joins the sets of `a` and `b`: the higher root joins the lower,
    /// unless another thread moved it first, then it tries again.
    pub fn unite(&self, a: usize, b: usize) {
        loop {
            let (ra, rb) = (self.find(a), self.find(b));
            if ra == rb {
                return;
            }
            let (low, high) = (ra.min(rb), ra.max(rb));
            let joined =
                self.parent[high].compare_exchange(high as u32, low as u32, Relaxed, Relaxed);
            if joined.is_ok() {
                return;
            }
        }
    }

    /// Each element's parent, for [`super::regions::find`] once the unions
    /// are done.
    pub fn into_parents(self) -> Vec<u32> {
        self.parent.into_iter().map(AtomicU32::into_inner).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn concurrent_unions_give_the_components() {
        // A chain 0-1-2-...-n-1 of odd links and a chain of even ones,
        // joined from both ends by two threads at once.
        let n = 20_000;
        let sets = ConcurrentSets::new(n).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            (0..n - 2)
                .into_par_iter()
                .rev()
                .for_each(|i| sets.unite(i + 2, i));
        });
        for i in 0..n {
            assert_eq!(sets.find(i), i % 2);
        }
        let mut parents = sets.into_parents();
        assert!(parents.iter().enumerate().all(|(i, &p)| p as usize <= i));
        assert_eq!(super::super::regions::find(&mut parents, n - 1), 1);
    }
}
