//! The steps climbs have taken, shared by every seed of a fit (docs/algorithm.md §6.6).
//!
//! A climb's next position is a function of its current position alone (the
//! mean of the ball there), and climbs from different seeds keep landing on
//! exactly the same positions once their balls hold the same points: on the
//! benchmark data a third to two thirds of all ball queries repeat one made
//! before. A step looked up here is the step the query would compute, bit for
//! bit, so the cache changes how long a fit takes, never its result, whichever
//! thread filled it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::exact::interner::KeyedRecords;

const SHARDS: usize = 64;

/// Every shard holds steps as records of `2 * dim + 1` words, found by the
/// first `dim`: the bits of the position a step starts from (its key), the
/// bits of where it lands, and the bits of its intensity (how many points its
/// ball held, or what its neighbourhood weighed).
pub struct StepCache {
    shards: Vec<Mutex<KeyedRecords>>,
    dim: usize,
    /// Entries still allowed: the cache stops growing at its budget, so that
    /// its memory stays within the fit's bound.
    room: AtomicUsize,
}

impl StepCache {
    /// An empty cache for a fit of `seeds` seeds in `dim` dimensions, with a
    /// budget of 8 bytes a seed over a floor of 8 MiB. A fit may hold 64
    /// bytes a seed beyond twice its input (`fit`'s doc comment); where
    /// nearly every point is a seed, the seeds, their climbed centres and
    /// the climbs' records take most of it, and the cache only saves time.
    /// The floor holds every step of the benchmark fits.
    pub fn new(dim: usize, seeds: usize) -> Self {
        const FLOOR_BYTES: usize = 8 << 20;
        const BYTES_PER_SEED: usize = 8;
        // A record's words and link, and its slot in the map of hashes.
        let entry_bytes = (2 * dim + 2) * std::mem::size_of::<u64>() + 17;
        let entries = FLOOR_BYTES.max(seeds.saturating_mul(BYTES_PER_SEED)) / entry_bytes;
        StepCache {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(KeyedRecords::new(dim, 2 * dim + 1)))
                .collect(),
            dim,
            room: AtomicUsize::new(entries),
        }
    }

    /// The shard holding `key`, picked by a cheap multiplicative mix of its
    /// bits (the shard then hashes the key properly, once).
    fn shard(&self, key: &[u64]) -> &Mutex<KeyedRecords> {
        let mixed = key.iter().fold(0u64, |h, &k| {
            (h.rotate_left(5) ^ k).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        });
        &self.shards[(mixed >> 58) as usize % SHARDS]
    }

    /// The step from the position whose bits are `key`, written to `next`,
    /// with its intensity, if some climb has taken it.
    pub fn get(&self, key: &[u64], next: &mut [f64]) -> Option<f64> {
        let shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        let step = shard.get(key)?;
        let to = step.get(self.dim..2 * self.dim)?;
        let intensity = step.get(2 * self.dim)?;
        next.iter_mut()
            .zip(to)
            .for_each(|(n, &bits)| *n = f64::from_bits(bits));
        Some(f64::from_bits(*intensity))
    }

    /// Records the step from `key` to `next` over a neighbourhood of this
    /// intensity, unless the cache is full.
    pub fn insert(&self, key: &[u64], next: &[f64], intensity: f64) {
        let claimed = self
            .room
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |room| {
                room.checked_sub(1)
            });
        if claimed.is_err() {
            return;
        }
        let to = next.iter().map(|x| x.to_bits());
        let mut shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        shard.insert(key, to.chain([intensity.to_bits()]));
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
        cache.insert(&key, &[1.25, -2.0], 7.0);
        assert_eq!(cache.get(&key, &mut next), Some(7.0));
        assert_eq!(next, [1.25, -2.0]);
        let other = [1.5f64.to_bits(), (-2.0f64).to_bits() + 1];
        assert_eq!(cache.get(&other, &mut next), None);
    }

    #[test]
    fn stops_growing_at_its_budget() {
        let cache = StepCache::new(1, 0);
        let budget = cache.room.load(Ordering::Relaxed);
        for i in 0..budget as u64 + 10 {
            cache.insert(&[i], &[i as f64], 1.0);
        }
        let mut next = [0.0];
        let stored = (0..budget as u64 + 10)
            .filter(|&i| cache.get(&[i], &mut next).is_some())
            .count();
        assert_eq!(stored, budget);
    }
}
