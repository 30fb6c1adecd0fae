//! The steps climbs have taken, shared by every seed of a fit.
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

use crate::exact_keys::{ExactKeys, KeyHasher};

const SHARDS: usize = 64;

/// Steps stored one after another, `2 * dim + 1` words each: the bits of the
/// position a step starts from (its key, `dim` words), the bits of where it
/// lands (`dim` words), and how many points its ball held; numbered by key in
/// `keys`. Nothing is allocated per step.
#[derive(Default)]
struct Shard {
    keys: ExactKeys,
    words: Vec<u64>,
}

impl Shard {
    fn step(&self, number: usize, dim: usize) -> &[u64] {
        &self.words[number * (2 * dim + 1)..(number + 1) * (2 * dim + 1)]
    }
}

pub struct StepCache {
    dim: usize,
    hasher: KeyHasher,
    shards: Vec<Mutex<Shard>>,
    /// The most words a shard holds: its share of the cache's budget.
    share: usize,
    /// Entries still free in all shards together: once none is, a climb
    /// stops offering steps without taking a lock.
    room: AtomicUsize,
}

/// From this many seeds on, a fit reserves its cache up front.
const RESERVE_FROM_SEEDS: usize = 1 << 16;

impl StepCache {
    /// An empty cache for a fit of `seeds` seeds in `dim` dimensions. The
    /// cache stops growing at a budget in bytes (a constant floor, or 8 bytes
    /// a seed for large fits) so that its memory stays within the fit's
    /// bound.
    ///
    /// A large fit fills its cache, so the space is reserved here, on the
    /// calling thread: grown by the workers, it would be kept, once freed,
    /// for their reuse alone (the allocator keeps a block in the arena of the
    /// thread that took it), and the stages after climbing would take as much
    /// again. A small fit grows its cache as it goes: reserving 64 blocks
    /// would cost it more time than it saves.
    pub fn new(dim: usize, seeds: usize) -> Self {
        const FLOOR_BYTES: usize = 8 << 20;
        // A fit may hold 64 bytes a seed beyond twice its input (see
        // `mean_shift`); the seeds, their climbed centres and the climbs'
        // records take most of it for 2-D data, and the cache only saves time.
        const BYTES_PER_SEED: usize = 8;
        // The words, and the index's slot (8 bytes, at most 8/3 slots per
        // entry just after the index doubles).
        let entry_words = 2 * dim + 1;
        let entry_bytes = entry_words * std::mem::size_of::<u64>() + 22;
        let budget = FLOOR_BYTES.max(seeds.saturating_mul(BYTES_PER_SEED));
        let share = budget / entry_bytes / SHARDS * entry_words;
        let shard = || {
            let mut words = Vec::new();
            if seeds >= RESERVE_FROM_SEEDS {
                // Too little memory only leaves the cache to grow as it goes.
                let _ = words.try_reserve_exact(share);
            }
            Mutex::new(Shard {
                keys: ExactKeys::default(),
                words,
            })
        };
        StepCache {
            dim,
            hasher: KeyHasher::default(),
            shards: (0..SHARDS).map(|_| shard()).collect(),
            share,
            room: AtomicUsize::new(share / entry_words * SHARDS),
        }
    }

    /// The shard holding the key of `hash`, by the hash's top bits (the
    /// index uses its bottom bits).
    fn shard(&self, hash: u64) -> &Mutex<Shard> {
        &self.shards[(hash >> 58) as usize % SHARDS]
    }

    /// The step from the position whose bits are `key`, written to `next`,
    /// with its ball's size, if some climb has taken it.
    pub fn get(&self, key: &[u64], next: &mut [f64]) -> Option<usize> {
        let hash = self.hasher.words(key);
        let shard = self.shard(hash).lock().unwrap_or_else(|e| e.into_inner());
        let dim = self.dim;
        let number = shard
            .keys
            .find(hash, |k| &shard.step(k, dim)[..dim] == key)?;
        let step = shard.step(number, dim);
        let landed = step[dim..2 * dim].iter().map(|&bits| f64::from_bits(bits));
        next.iter_mut().zip(landed).for_each(|(n, x)| *n = x);
        Some(step[2 * dim] as usize)
    }

    /// Records the step from `key` to `next` over a ball of `count` points,
    /// unless the cache is full (or memory is short: the cache only saves
    /// time, so it then goes without).
    pub fn insert(&self, key: &[u64], next: &[f64], count: usize) {
        if self.room.load(Ordering::Relaxed) == 0 {
            return;
        }
        let hash = self.hasher.words(key);
        let mut shard = self.shard(hash).lock().unwrap_or_else(|e| e.into_inner());
        let shard = &mut *shard;
        let dim = self.dim;
        if shard.words.len() + 2 * dim + 1 > self.share
            || shard.words.try_reserve(2 * dim + 1).is_err()
        {
            return;
        }
        let words = &shard.words;
        let step = |k: usize| &words[k * (2 * dim + 1)..k * (2 * dim + 1) + dim];
        let numbered = shard
            .keys
            .number(hash, |k| step(k) == key, |k| self.hasher.words(step(k)));
        // Another climb may have recorded it since `get` missed.
        if let Ok((_, true)) = numbered {
            shard.words.extend_from_slice(key);
            shard.words.extend(next.iter().map(|x| x.to_bits()));
            shard.words.push(count as u64);
            self.room.fetch_sub(1, Ordering::Relaxed);
        }
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
        for seeds in [0, RESERVE_FROM_SEEDS] {
            let cache = StepCache::new(1, seeds);
            // The floor's worth of 3-word entries (with their slots), in shares.
            let entries = (8 << 20) / (3 * 8 + 22);
            assert!(cache.share / 3 * SHARDS > entries - SHARDS);
            assert!(cache.share / 3 * SHARDS <= entries);
            assert_eq!(cache.room.load(Ordering::Relaxed), cache.share / 3 * SHARDS);
            for i in 0..2 * entries as u64 {
                cache.insert(&[i], &[i as f64], 1);
            }
            // Every shard filled to its share, and not beyond.
            for shard in &cache.shards {
                assert_eq!(shard.lock().unwrap().words.len(), cache.share);
            }
            assert_eq!(cache.room.load(Ordering::Relaxed), 0);
        }
    }

    #[test]
    fn a_large_fit_reserves_its_budget_up_front() {
        let cache = StepCache::new(2, RESERVE_FROM_SEEDS);
        for shard in &cache.shards {
            assert!(shard.lock().unwrap().words.capacity() >= cache.share);
        }
        let small = StepCache::new(2, RESERVE_FROM_SEEDS - 1);
        assert_eq!(small.shards[0].lock().unwrap().words.capacity(), 0);
    }

    #[test]
    fn finds_every_step_after_the_index_grows() {
        let cache = StepCache::new(2, 0);
        let step = |i: u64| ([i, i * 7], [i as f64, -(i as f64)], i as usize + 1);
        for i in 0..5000 {
            let (key, next, count) = step(i);
            cache.insert(&key, &next, count);
        }
        let mut next = [0.0; 2];
        for i in 0..5000 {
            let (key, expected, count) = step(i);
            assert_eq!(cache.get(&key, &mut next), Some(count));
            assert_eq!(next, expected);
        }
    }

    #[test]
    fn a_step_recorded_twice_is_stored_once() {
        let cache = StepCache::new(1, 0);
        cache.insert(&[3], &[1.0], 2);
        cache.insert(&[3], &[1.0], 2);
        let stored: usize = cache
            .shards
            .iter()
            .map(|s| s.lock().unwrap().words.len())
            .sum();
        assert_eq!(stored, 3);
    }
}
