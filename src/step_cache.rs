//! The steps climbs have taken, shared by every seed of a fit.
//!
//! A climb's next position is a function of its current position alone (the
//! mean of the ball there), and climbs from different seeds keep landing on
//! exactly the same positions once their balls hold the same points: on the
//! benchmark data a third to two thirds of all ball queries repeat one made
//! before. A step looked up here is the step the query would compute, bit for
//! bit, so the cache changes how long a fit takes, never its result, whichever
//! thread filled it.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const SHARDS: usize = 64;

/// Where a step from a position lands, and how many points its ball held.
struct Step {
    next: Box<[f64]>,
    count: usize,
}

pub struct StepCache {
    shards: Vec<Mutex<HashMap<Box<[u64]>, Step>>>,
    hasher: std::collections::hash_map::RandomState,
    /// Entries still allowed: the cache stops growing at a budget of a few
    /// entries per seed (a constant floor for small fits) so that its memory
    /// stays O(seeds).
    room: AtomicUsize,
}

impl StepCache {
    pub fn new(dim: usize, seeds: usize) -> Self {
        const FLOOR_BYTES: usize = 8 << 20;
        const ENTRIES_PER_SEED: usize = 4;
        let entry_bytes = 2 * dim * std::mem::size_of::<f64>() + 96;
        let entries = (FLOOR_BYTES / entry_bytes).max(seeds.saturating_mul(ENTRIES_PER_SEED));
        StepCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: Default::default(),
            room: AtomicUsize::new(entries),
        }
    }

    fn shard(&self, key: &[u64]) -> &Mutex<HashMap<Box<[u64]>, Step>> {
        let mut h = self.hasher.build_hasher();
        key.iter().for_each(|&k| h.write_u64(k));
        &self.shards[h.finish() as usize % SHARDS]
    }

    /// The step from the position whose bits are `key`, written to `next`,
    /// with its ball's size, if some climb has taken it.
    pub fn get(&self, key: &[u64], next: &mut [f64]) -> Option<usize> {
        let shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        let step = shard.get(key)?;
        next.copy_from_slice(&step.next);
        Some(step.count)
    }

    /// Records the step from `key` to `next` over a ball of `count` points,
    /// unless the cache is full.
    pub fn insert(&self, key: &[u64], next: &[f64], count: usize) {
        let claimed = self
            .room
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |room| {
                room.checked_sub(1)
            });
        if claimed.is_err() {
            return;
        }
        let step = Step {
            next: next.into(),
            count,
        };
        let mut shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        shard.insert(key.into(), step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_steps_by_exact_position() {
        let cache = StepCache::new(2, 10);
        let mut next = [0.0; 2];
        let key = [1.5f64.to_bits(), (-2.0f64).to_bits()];
        assert_eq!(cache.get(&key, &mut next), None);
        cache.insert(&key, &[1.25, -2.0], 7);
        assert_eq!(cache.get(&key, &mut next), Some(7));
        assert_eq!(next, [1.25, -2.0]);
        let other = [1.5f64.to_bits(), (-2.0f64).to_bits() + 1];
        assert_eq!(cache.get(&other, &mut next), None);
    }

    #[test]
    fn stops_growing_at_its_budget() {
        let cache = StepCache::new(1, 0);
        let budget = cache.room.load(Ordering::Relaxed);
        for i in 0..budget as u64 + 10 {
            cache.insert(&[i], &[i as f64], 1);
        }
        let stored: usize = cache.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert_eq!(stored, budget);
    }
}
