//! Lookup by the exact bits of a key: records found by their first words
//! ([`KeyedRecords`], the step cache's), and the numbering of coordinate
//! tuples in order of first appearance ([`ExactKeys`]: the Python dict keyed
//! by tuples that scikit-learn uses for bins, docs/algorithm.md §3.1; the
//! climbed centres are collapsed by sorting instead, see `modes`).
//!
//! Records live in a few large segments, not one allocation each: tens of
//! millions of small allocations take seconds to free, time in which nothing
//! could interrupt the work, and their headers take memory. Segments never
//! move once made (a growing array would leave each old block behind).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use crate::error::{try_filled, Result};

/// Marks the end of a chain of records whose keys share a hash.
const NONE: u32 = u32::MAX;

/// Records in the first segments: every [`SEGMENTS_PER_SIZE`] segments the
/// size doubles, so that a table of `n` records has about `4 log2(n)` of them
/// and at most a fifth of its room is still empty.
const FIRST_SEGMENT: usize = 4;
const SEGMENTS_PER_SIZE: usize = 4;

/// Records of `record_len` words, each found by its first `key_len` words,
/// numbered 0, 1, ... in the order they were added. Fewer than `u32::MAX`
/// records (rows are numbered in `u32` throughout).
pub struct KeyedRecords<S = WordMix> {
    key_len: usize,
    record_len: usize,
    /// Every record's words, then the number of the record before it whose
    /// key has the same hash (or [`NONE`]); see [`place`].
    segments: Vec<Vec<u64>>,
    len: usize,
    /// Per hash of a key, the newest record with a key of that hash.
    newest: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    hashing: S,
}

impl KeyedRecords {
    /// No records yet, of `record_len` words found by their first `key_len`.
    pub fn new(key_len: usize, record_len: usize) -> Self {
        KeyedRecords::hashed_by(key_len, record_len, WordMix::new())
    }
}

impl<S: BuildHasher> KeyedRecords<S> {
    fn hashed_by(key_len: usize, record_len: usize, hashing: S) -> Self {
        KeyedRecords {
            key_len,
            record_len: record_len.max(key_len),
            segments: Vec::new(),
            len: 0,
            newest: HashMap::default(),
            hashing,
        }
    }

    /// The record whose key is `key`, if any.
    pub fn get(&self, key: &[u64]) -> Option<&[u64]> {
        let n = self.find(self.hash(key), key)?;
        self.stored(n)?.get(..self.record_len)
    }

    /// Adds the record `key` then `rest` unless a record with that key (of
    /// `key_len` words) is there already; returns the number of the record
    /// with the key, and whether it is new.
    pub fn insert(&mut self, key: &[u64], rest: impl IntoIterator<Item = u64>) -> (usize, bool) {
        let hash = self.hash(key);
        if let Some(n) = self.find(hash, key) {
            return (n, false);
        }
        let n = self.len;
        let (k, _) = place(n);
        if self.segments.len() <= k {
            let records = FIRST_SEGMENT << (k / SEGMENTS_PER_SIZE);
            self.segments
                .push(Vec::with_capacity(records * (self.record_len + 1)));
        }
        let older = self.newest.insert(hash, n as u32).unwrap_or(NONE);
        if let Some(segment) = self.segments.get_mut(k) {
            let start = segment.len();
            segment.extend_from_slice(key);
            segment.extend(rest);
            // A record of another length (never given) is cut or padded, so
            // that numbers stay positions.
            segment.resize(start + self.record_len, 0);
            segment.push(u64::from(older));
        }
        self.len += 1;
        (n, true)
    }

    /// The hash of `key`, fed word by word.
    #[inline]
    fn hash(&self, key: &[u64]) -> u64 {
        let mut hasher = self.hashing.build_hasher();
        for &word in key {
            hasher.write_u64(word);
        }
        hasher.finish()
    }

    /// Record `n`'s words and link.
    #[inline]
    fn stored(&self, n: usize) -> Option<&[u64]> {
        let (k, i) = place(n);
        let stride = self.record_len + 1;
        let start = i * stride;
        self.segments.get(k)?.get(start..start + stride)
    }

    /// The number of the record with `key`, whose hash is `hash`.
    #[inline]
    fn find(&self, hash: u64, key: &[u64]) -> Option<usize> {
        let mut candidate = self.newest.get(&hash).copied().unwrap_or(NONE);
        while candidate != NONE {
            let n = candidate as usize;
            let stored = self.stored(n)?;
            if stored.get(..self.key_len) == Some(key) {
                return Some(n);
            }
            candidate = stored
                .get(self.record_len)
                .map_or(NONE, |&older| older as u32);
        }
        None
    }
}

/// The segment holding record `n`, and its place there: segments come in
/// groups of [`SEGMENTS_PER_SIZE`], group `j`'s holding `FIRST_SEGMENT << j`
/// records each.
#[inline]
fn place(n: usize) -> (usize, usize) {
    let group = SEGMENTS_PER_SIZE * FIRST_SEGMENT;
    let j = (n / group + 1).ilog2();
    let in_group = n - group * ((1 << j) - 1);
    // Segments of group `j` hold 2^size_bits records: shifts, not divisions.
    let size_bits = FIRST_SEGMENT.trailing_zeros() + j;
    let segment = SEGMENTS_PER_SIZE * j as usize + (in_group >> size_bits);
    (segment, in_group & ((1 << size_bits) - 1))
}

/// Numbers tuples 0, 1, ... as they first appear, storing no tuple: the
/// caller keeps each tuple once, where it needs it anyway (a bin as the row
/// that opened it, a centre as its row of the climbs), finds a tuple by its
/// hash ([`WordMix::values`]) and tells equal tuples apart with its own
/// comparison. A slot holds a number and the high half of the hash (8 bytes,
/// 4/3 to 8/3 slots a tuple, linear probing), where a map of boxed tuples
/// took a heap block, its pointer and a second copy of the tuple.
#[derive(Default)]
pub struct ExactKeys {
    slots: Vec<Slot>,
    len: usize,
}

/// A slot of [`ExactKeys`]: a tuple's number, and the high half of its hash
/// so that a probe rarely asks the caller to compare a tuple that differs.
#[derive(Clone, Copy)]
struct Slot {
    tag: u32,
    number: u32,
}

const EMPTY_SLOT: Slot = Slot {
    tag: 0,
    number: NONE,
};

impl ExactKeys {
    /// The slots a tuple of `hash` may sit in, in probe order.
    #[inline]
    fn probe(&self, hash: u64) -> impl Iterator<Item = usize> {
        let mask = self.slots.len().wrapping_sub(1);
        let start = hash as usize & mask;
        (0..self.slots.len()).map(move |k| (start + k) & mask)
    }

    /// The number of the tuple of `hash` for which `is_key(number)` holds and
    /// `false`; if there is none, a new number (the count so far) and `true`.
    /// `hash_of(number)` gives the hash of a tuple numbered before: the table
    /// puts its tuples back by their hashes when it grows. Running out of
    /// memory is an error, not an abort.
    #[inline]
    pub fn number(
        &mut self,
        hash: u64,
        mut is_key: impl FnMut(usize) -> bool,
        hash_of: impl FnMut(usize) -> u64,
    ) -> Result<(usize, bool)> {
        let tag = (hash >> 32) as u32;
        for i in self.probe(hash) {
            let slot = self.slots[i];
            if slot.number == NONE {
                break;
            }
            if slot.tag == tag && is_key(slot.number as usize) {
                return Ok((slot.number as usize, false));
            }
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(hash_of)?;
        }
        // Rows, and so tuples, are numbered in u32 (Points holds fewer than
        // u32::MAX rows), one value short of the empty mark.
        let number = self.len as u32;
        self.put(hash, number);
        self.len += 1;
        Ok((number as usize, true))
    }

    /// Puts a number in the first empty slot of its probe sequence (there is
    /// one: the table grows at 3/4 full).
    fn put(&mut self, hash: u64, number: u32) {
        if let Some(free) = self.probe(hash).find(|&i| self.slots[i].number == NONE) {
            self.slots[free] = Slot {
                tag: (hash >> 32) as u32,
                number,
            };
        }
    }

    /// Doubles the table, putting every number back by its tuple's hash.
    fn grow(&mut self, mut hash_of: impl FnMut(usize) -> u64) -> Result<()> {
        let size = (self.slots.len() * 2).max(16);
        let slots = try_filled(size, EMPTY_SLOT)?;
        let old = std::mem::replace(&mut self.slots, slots);
        for slot in old.into_iter().filter(|s| s.number != NONE) {
            self.put(hash_of(slot.number as usize), slot.number);
        }
        Ok(())
    }
}

/// Whether two tuples of values are one key: equal values, so -0.0 == 0.0.
#[inline]
pub fn same_values(a: impl IntoIterator<Item = f64>, b: impl IntoIterator<Item = f64>) -> bool {
    a.into_iter()
        .zip(b)
        .all(|(x, y)| (x + 0.0).to_bits() == (y + 0.0).to_bits())
}

/// A keyed hash of whole words: each is folded in by a multiply and a
/// rotation, and the result is finished by MurmurHash3's 64-bit mixer. A
/// tenth of SipHash's cost on the two-word keys of binning, and its key,
/// drawn per table from the standard library's random source, keeps crafted
/// data from choosing the collisions (which would only slow the lookups).
#[derive(Clone, Copy)]
pub struct WordMix {
    key: u64,
}

impl WordMix {
    /// A hash keyed at random.
    pub fn new() -> Self {
        WordMix {
            key: RandomState::new().build_hasher().finish(),
        }
    }

    /// The hash of a tuple of values, fed as the words of `v + 0.0` (so that
    /// -0.0 and 0.0 hash alike).
    #[inline]
    pub fn values(&self, values: impl IntoIterator<Item = f64>) -> u64 {
        let mut hasher = self.build_hasher();
        for v in values {
            hasher.write_u64((v + 0.0).to_bits());
        }
        hasher.finish()
    }
}

impl Default for WordMix {
    fn default() -> Self {
        WordMix::new()
    }
}

impl BuildHasher for WordMix {
    type Hasher = WordHasher;

    fn build_hasher(&self) -> WordHasher {
        WordHasher(self.key)
    }
}

/// [`WordMix`]'s state while words are fed to it.
pub struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0 ^ word)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(31);
    }
}

/// The map's keys are hashes already: its hasher passes them through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers `t` among the tuples kept in `tuples`, as a caller would.
    fn number(keys: &mut ExactKeys, tuples: &mut Vec<[f64; 2]>, t: [f64; 2]) -> (usize, bool) {
        // One key for every call: a fixed one.
        let hashing = WordMix { key: 12345 };
        let hash = hashing.values(t);
        let got = keys
            .number(
                hash,
                |n| same_values(tuples[n], t),
                |n| hashing.values(tuples[n]),
            )
            .unwrap();
        if got.1 {
            tuples.push(t);
        }
        got
    }

    #[test]
    fn numbers_in_first_appearance_order() {
        let (mut keys, mut tuples) = (ExactKeys::default(), vec![]);
        assert_eq!(number(&mut keys, &mut tuples, [1.0, 2.0]), (0, true));
        assert_eq!(number(&mut keys, &mut tuples, [2.0, 1.0]), (1, true));
        assert_eq!(number(&mut keys, &mut tuples, [1.0, 2.0]), (0, false));
        assert_eq!(number(&mut keys, &mut tuples, [-0.0, 0.0]), (2, true));
        assert_eq!(number(&mut keys, &mut tuples, [0.0, -0.0]), (2, false));
        // The first spelling is the one kept.
        assert!(tuples[2][0].is_sign_negative());
    }

    #[test]
    fn keeps_every_tuple_through_growth() {
        let (mut keys, mut tuples) = (ExactKeys::default(), vec![]);
        for i in 0..10_000 {
            let t = [(i % 100) as f64, (i / 100) as f64];
            assert_eq!(number(&mut keys, &mut tuples, t), (i, true));
        }
        for i in (0..10_000).rev() {
            let t = [(i % 100) as f64, (i / 100) as f64];
            assert_eq!(number(&mut keys, &mut tuples, t), (i, false));
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
        assert_eq!(keys.number(7, |m| tuples[m] == 20, |_| 7), Ok((1, false)));
    }

    #[test]
    fn segments_grow_in_groups_and_follow_each_other() {
        // Four segments of 4 records, four of 8, then of 16.
        assert_eq!(place(0), (0, 0));
        assert_eq!(place(5), (1, 1));
        assert_eq!(place(15), (3, 3));
        assert_eq!(place(16), (4, 0));
        assert_eq!(place(16 + 31), (7, 7));
        assert_eq!(place(48), (8, 0));
        let mut records = KeyedRecords::new(1, 2);
        for n in 0..1000u64 {
            assert_eq!(records.insert(&[n], [n + 7]), (n as usize, true));
        }
        // 4 * (4 + 8 + ... + 128) = 1008 records in 24 segments hold them.
        assert_eq!(records.segments.len(), 24);
        for n in 0..1000u64 {
            assert_eq!(records.get(&[n]), Some([n, n + 7].as_slice()));
        }
    }

    #[test]
    fn records_are_found_by_their_key_alone() {
        let mut records = KeyedRecords::new(2, 3);
        assert_eq!(records.insert(&[1, 2], [30]), (0, true));
        assert_eq!(records.insert(&[2, 1], [40]), (1, true));
        // The first record with a key stays.
        assert_eq!(records.insert(&[1, 2], [50]), (0, false));
        assert_eq!(records.get(&[1, 2]), Some([1, 2, 30].as_slice()));
        assert_eq!(records.get(&[2, 1]), Some([2, 1, 40].as_slice()));
        assert_eq!(records.get(&[2, 2]), None);
    }

    /// Hashes every key to the same value.
    #[derive(Default)]
    struct Collide;

    impl Hasher for Collide {
        fn finish(&self) -> u64 {
            7
        }

        fn write(&mut self, _: &[u8]) {}
    }

    #[test]
    fn keys_sharing_a_hash_stay_apart() {
        let hashing = BuildHasherDefault::<Collide>::default();
        let mut records = KeyedRecords::hashed_by(1, 2, hashing);
        for n in 0..5 {
            assert_eq!(records.insert(&[n], [10 * n]), (n as usize, true));
        }
        for n in 0..5 {
            assert_eq!(records.insert(&[n], [0]), (n as usize, false));
            assert_eq!(records.get(&[n]), Some([n, 10 * n].as_slice()));
        }
        assert_eq!(records.get(&[5]), None);
    }
}
