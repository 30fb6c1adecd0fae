//! Numbering of coordinate tuples by exact value, in order of first
//! appearance: the Python dict keyed by tuples that scikit-learn uses for
//! bins, and the index of the step cache.
//!
//! The index stores no tuple. Its users keep each tuple once, where they need
//! it anyway (a bin as the row that opened it, a step in the cache's arena),
//! and the index keeps only a number and half the tuple's hash per slot: 8
//! bytes, 4/3 to 8/3 slots per tuple, where a hash map of boxed tuples took a
//! heap block, its pointer and a second copy of the tuple (about 100 bytes for
//! a 2-D bin).

use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use crate::error::{Error, Result};

/// Hashes tuples. Keyed at random per index (as std's hash maps are), so that
/// crafted input cannot make every tuple collide; results never depend on the
/// hash, only the time taken does.
pub struct KeyHasher(RandomState);

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher(RandomState::new())
    }
}

impl KeyHasher {
    /// The hash of a tuple of values, equal values alike: -0.0 and 0.0 are
    /// one key, as in Python.
    pub fn values(&self, values: impl IntoIterator<Item = f64>) -> u64 {
        let mut hasher = self.0.build_hasher();
        values
            .into_iter()
            .for_each(|v| hasher.write_u64((v + 0.0).to_bits()));
        hasher.finish()
    }

    /// The hash of a tuple of words (written at once: quicker than word by
    /// word for long tuples).
    pub fn words(&self, words: &[u64]) -> u64 {
        let mut hasher = self.0.build_hasher();
        u64::hash_slice(words, &mut hasher);
        hasher.finish()
    }
}

/// Whether two tuples of values are one key (equal values, so -0.0 == 0.0).
pub fn same_values(a: impl IntoIterator<Item = f64>, b: impl IntoIterator<Item = f64>) -> bool {
    a.into_iter()
        .zip(b)
        .all(|(x, y)| (x + 0.0).to_bits() == (y + 0.0).to_bits())
}

/// A slot of the open-addressing table: a key's number and the high half of
/// its hash, so that a probe rarely looks at a tuple that is not the one.
#[derive(Clone, Copy)]
struct Slot {
    tag: u32,
    number: u32,
}

const EMPTY: u32 = u32::MAX;
const EMPTY_SLOT: Slot = Slot {
    tag: 0,
    number: EMPTY,
};

/// Numbers of tuples held by the caller, found by hash and by the caller's
/// comparison (linear probing, at most 3/4 full).
#[derive(Default)]
pub struct ExactKeys {
    slots: Vec<Slot>,
    len: usize,
}

impl ExactKeys {
    /// The slots a key of `hash` may sit in, in probe order.
    fn probe(&self, hash: u64) -> impl Iterator<Item = usize> {
        let mask = self.slots.len().wrapping_sub(1);
        let start = hash as usize & mask;
        (0..self.slots.len()).map(move |k| (start + k) & mask)
    }

    /// The number of the key of `hash` for which `is_key(number)` holds, if
    /// one has been numbered.
    pub fn find(&self, hash: u64, mut is_key: impl FnMut(usize) -> bool) -> Option<usize> {
        let tag = (hash >> 32) as u32;
        for i in self.probe(hash) {
            let slot = self.slots[i];
            if slot.number == EMPTY {
                return None;
            }
            if slot.tag == tag && is_key(slot.number as usize) {
                return Some(slot.number as usize);
            }
        }
        None
    }

    /// The number of the key of `hash` for which `is_key(number)` holds and
    /// `false`, or, if there is none, a new number (the count so far) and
    /// `true`. `hash_of(number)` must give the hash of a key numbered before:
    /// the table rehashes its keys when it grows.
    pub fn number(
        &mut self,
        hash: u64,
        mut is_key: impl FnMut(usize) -> bool,
        hash_of: impl FnMut(usize) -> u64,
    ) -> Result<(usize, bool)> {
        if let Some(number) = self.find(hash, &mut is_key) {
            return Ok((number, false));
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(hash_of)?;
        }
        let number = self.len;
        if number >= EMPTY as usize {
            return Err(Error::InvalidInput(format!(
                "more than {} distinct keys",
                EMPTY - 1
            )));
        }
        self.put(hash, number as u32);
        self.len += 1;
        Ok((number, true))
    }

    /// Puts a number in the first empty slot of its probe sequence.
    fn put(&mut self, hash: u64, number: u32) {
        let free = self.probe(hash).find(|&i| self.slots[i].number == EMPTY);
        // The table is never full: it grows at 3/4.
        let free = free.expect("a free slot");
        self.slots[free] = Slot {
            tag: (hash >> 32) as u32,
            number,
        };
    }

    /// Doubles the table (fallibly: too little memory is an error, not an
    /// abort), putting every number back by its key's hash.
    fn grow(&mut self, mut hash_of: impl FnMut(usize) -> u64) -> Result<()> {
        let size = (self.slots.len() * 2).max(16);
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(size)
            .map_err(|_| Error::OutOfMemory {
                bytes: size.saturating_mul(std::mem::size_of::<Slot>()),
            })?;
        slots.resize(size, EMPTY_SLOT);
        let old = std::mem::replace(&mut self.slots, slots);
        for slot in old.into_iter().filter(|s| s.number != EMPTY) {
            self.put(hash_of(slot.number as usize), slot.number);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers tuples kept in `tuples` as a caller would.
    fn number(
        keys: &mut ExactKeys,
        hasher: &KeyHasher,
        tuples: &mut Vec<[f64; 2]>,
        t: [f64; 2],
    ) -> (usize, bool) {
        let hash = hasher.values(t);
        let got = keys
            .number(
                hash,
                |n| same_values(tuples[n], t),
                |n| hasher.values(tuples[n]),
            )
            .unwrap();
        if got.1 {
            tuples.push(t);
        }
        got
    }

    #[test]
    fn numbers_in_first_appearance_order() {
        let (mut keys, hasher, mut tuples) = (ExactKeys::default(), KeyHasher::default(), vec![]);
        assert_eq!(
            number(&mut keys, &hasher, &mut tuples, [1.0, 2.0]),
            (0, true)
        );
        assert_eq!(
            number(&mut keys, &hasher, &mut tuples, [2.0, 1.0]),
            (1, true)
        );
        assert_eq!(
            number(&mut keys, &hasher, &mut tuples, [1.0, 2.0]),
            (0, false)
        );
        assert_eq!(
            number(&mut keys, &hasher, &mut tuples, [-0.0, 0.0]),
            (2, true)
        );
        assert_eq!(
            number(&mut keys, &hasher, &mut tuples, [0.0, -0.0]),
            (2, false)
        );
        // The first spelling is the one kept.
        assert!(tuples[2][0].is_sign_negative());
    }

    #[test]
    fn keeps_every_key_through_growth() {
        let (mut keys, hasher, mut tuples) = (ExactKeys::default(), KeyHasher::default(), vec![]);
        for i in 0..10_000 {
            let t = [(i % 100) as f64, (i / 100) as f64];
            assert_eq!(number(&mut keys, &hasher, &mut tuples, t), (i, true));
        }
        for i in (0..10_000).rev() {
            let t = [(i % 100) as f64, (i / 100) as f64];
            assert_eq!(number(&mut keys, &hasher, &mut tuples, t), (i, false));
        }
        assert_eq!(keys.len, 10_000);
        // At most 3/4 full, at least 3/8 after a doubling.
        assert!(keys.slots.len() * 3 >= 4 * 10_000 && keys.slots.len() * 3 <= 8 * 10_000);
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_the_caller() {
        let mut keys = ExactKeys::default();
        let tuples = [10, 20, 30];
        for (n, &t) in tuples.iter().enumerate() {
            let got = keys.number(7, |m| tuples[m] == t, |_| 7).unwrap();
            assert_eq!(got, (n, true));
        }
        assert_eq!(keys.find(7, |m| tuples[m] == 20), Some(1));
        assert_eq!(keys.find(7, |m| tuples[m] == 40), None);
    }
}
