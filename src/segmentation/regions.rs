//! Regions (docs/algorithm.md §13.3): two pixels are in one region when a
//! chain of pixels links them in which each consecutive pair's modes lie
//! within `h_s` of each other in position and within `h_r` in value
//! (squared distances `<= h_s * h_s` and `<= h_r * h_r`), neighbours or not.
//! The regions are the connected components of that relation on all
//! pixels, so no order of work changes them; they are numbered in raster
//! order of their first pixel.
//!
//! Comparing all pairs would cost `n^2`. Modes crowd together instead, so:
//!
//! 1. Every mode gets a cell of a joint grid with sides a hair below
//!    `h_s / sqrt(D)` along the `D` spatial axes where modes differ and
//!    `h_r / sqrt(C)` along the `C` channels where they differ, so that
//!    two modes of one cell are linked. Pixels are sorted by cell (the
//!    spatial cell packed exactly, the range cell by a hash) and by mode:
//!    bit-identical modes lie side by side and count once.
//! 2. A cell whose distinct modes all link to its first is one set, a
//!    part; a cell where some do not (rounding, a hash collision, cells
//!    grown to fit the grid's bits) splits into parts, each mode joining
//!    the first part whose first mode it links. Each part has radii: how
//!    far its modes are from its first.
//! 3. Parts meet the parts of the spatial cells within reach (at most 2
//!    cells along an axis for cells of the nominal side, rounded up for
//!    safety), each pair once. Within a spatial cell, parts are sorted by
//!    the sum of their first mode's values, and linked modes' sums differ
//!    by at most `sqrt(C) h_r` (Cauchy-Schwarz): a window of sums, sliding
//!    along both lists, leaves only the pairs of close sums. A pair is
//!    then skipped when its firsts are farther apart than a bandwidth plus
//!    both radii (the triangle inequality), in position or in value, or
//!    when it is in one set already; else the modes of the smaller part
//!    are compared with those of the larger until one pair links.
//!
//! Every union is of a linked pair of modes, and every linked pair lies in
//! one part, or in two parts that meet and survive the pruning (which,
//! with slack far above the rounding errors, only drops pairs that cannot
//! link), or in two parts already in one set: the sets are the components.
//! Range cells are never enumerated by offset (there would be `5^C` around
//! a cell), only found among the parts of neighbouring spatial cells, so
//! many channels cost `O(C)` a comparison, no more.
//!
//! Cost: `O(n (D + C))` for the keys, `O(n log n)` for the sort, `O(k C)`
//! for a cell of `k` distinct modes; then for each pair of parts at most
//! two spatial cells apart along each axis, `O(1)` if their sums are far
//! apart (the sliding window) and `O(D + C)` else, plus, for each pair not
//! pruned and not yet joined, the comparisons until a link (at most the
//! product of their distinct modes, fewer where the triangle inequality
//! through the larger part's first rules modes out). Memory: 21 bytes a
//! pixel while pixels are sorted by cell (pairs of a cell and a pixel,
//! marks, the order), then up to 12 (the order, distinct modes, and their
//! distances from their part's first, coarsely) and 36 bytes a part while
//! parts meet ([`link_modes`]), then 8 a pixel while pixels are numbered
//! ([`Links::regions`]: the order and the labels).

use rayon::prelude::*;

use super::concurrent_sets::ConcurrentSets;
use crate::climbing::joint::JointModes;
use crate::error::{try_filled, try_reserved, Result};
use crate::parallel::Task;
use crate::search::grid::{Grid, MOST_AXES};

/// Units of work (a pixel, a comparison) between two stop checks: a few
/// microseconds at most, so that a stop takes effect at once.
const CHECK_EVERY: usize = 1 << 12;

/// Marks of a position in the sorted order: a grid cell starts there; its
/// mode is distinct (not a copy of the last distinct one).
const NEW_GRID_CELL: u8 = 1;
const DISTINCT: u8 = 2;

/// Grid cells per unit of parallel work when they are cut into parts.
const CELLS_PER_PART: usize = 1 << 10;

/// Parts per unit of parallel work when they meet (whole spatial cells:
/// about as many).
const PARTS_PER_CHUNK: usize = 1 << 12;

/// Cells are this fraction of the side whose diagonal is the bandwidth, so
/// that two modes of one cell are linked despite rounding.
const SHRINK: f64 = 1.0 - 1e-5;

/// Relative slack of the reach and the pruning, far above their rounding
/// errors (a few units in the last place) so that neither drops a linked
/// pair.
const SLACK: f64 = 1e-6;

/// Absolute slack of the pruning, in the units of the distances: above the
/// error of a subnormal square's root.
const TINY: f64 = 1e-150;

/// Bits of one axis's spatial cell in a packed spatial key.
const SPATIAL_BITS: u32 = 21;

/// The most spatial cells along an axis, so that a cell number is exact
/// and fits [`SPATIAL_BITS`]: cells grow beyond `h_s / sqrt(D)` if needed.
const MOST_SPATIAL_CELLS: f64 = (1u64 << 20) as f64;

/// The most range cells along a channel, so that a cell number's rounding
/// stays far below [`SHRINK`]'s margin.
const MOST_RANGE_CELLS: f64 = (1u64 << 30) as f64;

/// Each pixel's region (numbered in raster order of first pixels), and the
/// number of regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    /// One region number per pixel, in raster order.
    pub of_pixel: Vec<u32>,
    /// How many regions there are.
    pub count: usize,
}

/// The rule on two pixels' modes.
struct Rule<'a> {
    grid: &'a Grid,
    positions: &'a [[f64; 3]],
    values: &'a [f64],
    channels: usize,
    /// `h_s` and `h_s * h_s`.
    hs: f64,
    hs2: f64,
    /// `h_r` and `h_r * h_r`.
    hr: f64,
    hr2: f64,
}

impl Rule<'_> {
    /// The squared spatial distance of the modes of pixels `a` and `b`.
    #[inline]
    fn d2_s(&self, a: usize, b: usize) -> f64 {
        self.grid
            .squared_distance(&self.positions[a], &self.positions[b])
    }

    /// The values of pixel `i`'s mode.
    #[inline]
    fn value(&self, i: usize) -> &[f64] {
        &self.values[i * self.channels..][..self.channels]
    }

    /// The squared range distance of the modes of pixels `a` and `b`,
    /// summed in channel order.
    #[inline]
    fn d2_r(&self, a: usize, b: usize) -> f64 {
        let mut d2 = 0.0;
        for (x, y) in self.value(a).iter().zip(self.value(b)) {
            let t = x - y;
            d2 += t * t;
        }
        d2
    }

    /// Whether the modes of pixels `a` and `b` are linked.
    #[inline]
    fn links(&self, a: usize, b: usize) -> bool {
        self.d2_s(a, b) <= self.hs2 && self.d2_r(a, b) <= self.hr2
    }

    /// Whether pixels `a` and `b` have bit-identical modes.
    fn same_mode(&self, a: usize, b: usize) -> bool {
        let bits = |x: &f64| x.to_bits();
        self.positions[a]
            .iter()
            .map(bits)
            .eq(self.positions[b].iter().map(bits))
            && self
                .value(a)
                .iter()
                .map(bits)
                .eq(self.value(b).iter().map(bits))
    }

    /// Whether modes at distances `d2_s` and `d2_r` (squared) from each
    /// other may hold, within `radius_s` and `radius_r`, linked modes.
    #[inline]
    fn may_link(&self, d2_s: f64, d2_r: f64, radius_s: f64, radius_r: f64) -> bool {
        let reach2 = |h: f64, radius: f64| {
            let reach = (h + radius) * (1.0 + SLACK) + TINY;
            reach * reach
        };
        // `!(a > b)`: a NaN distance prunes nothing.
        !(d2_s > reach2(self.hs, radius_s) || d2_r > reach2(self.hr, radius_r))
    }
}

/// One axis of the cell grid: a spatial axis or a channel where the modes
/// differ, its lowest coordinate and its cells' side.
#[derive(Debug, Clone, Copy)]
struct CellAxis {
    /// The spatial axis (0 to 2) or the channel.
    index: usize,
    lo: f64,
    side: f64,
}

impl CellAxis {
    /// The cell number of coordinate `x`, rounded down: the quotient is
    /// `>= 0` (`x >= lo`), where truncating is rounding down without a call
    /// to `floor` (NaN gives 0, infinity saturates).
    #[inline]
    fn cell(&self, x: f64) -> i64 {
        ((x - self.lo) / self.side) as i64
    }
}

/// The cell grid: its spatial axes with their reach in cells, and its
/// channels.
struct Cells {
    spatial: Vec<CellAxis>,
    /// How many cells apart, along each of the three spatial axes, two
    /// linked modes can be.
    reach: [i64; MOST_AXES],
    range: Vec<CellAxis>,
    /// Whether parts are ordered by the sums of their values (not when
    /// `h_r * h_r` or those sums overflow).
    projects: bool,
    /// The most rounding error of the difference of two such sums.
    sum_error: f64,
}

impl Cells {
    /// The cell grid of the modes `rule` reads.
    fn of(rule: &Rule<'_>, n: usize, task: &Task) -> Result<Self> {
        let c = rule.channels;
        let widen = |mut bounds: Vec<(f64, f64)>, other: Vec<(f64, f64)>| {
            for (bound, (lo, hi)) in bounds.iter_mut().zip(other) {
                *bound = (bound.0.min(lo), bound.1.max(hi));
            }
            bounds
        };
        let none = || vec![(f64::INFINITY, f64::NEG_INFINITY); MOST_AXES + c];
        let bounds = (0..n.div_ceil(CHECK_EVERY))
            .into_par_iter()
            .map(|chunk| {
                task.check()?;
                let mut bounds = none();
                for i in chunk * CHECK_EVERY..((chunk + 1) * CHECK_EVERY).min(n) {
                    let (position, value) = (&rule.positions[i], rule.value(i));
                    for (bound, &x) in bounds.iter_mut().zip(position.iter().chain(value)) {
                        *bound = (bound.0.min(x), bound.1.max(x));
                    }
                }
                Ok(bounds)
            })
            .try_reduce(none, |a, b| Ok(widen(a, b)))?;
        let varies = |&(lo, hi): &(f64, f64)| lo < hi;
        let spacing = rule.grid.spacing();
        let d = bounds[..MOST_AXES].iter().filter(|b| varies(b)).count();
        let mut spatial = Vec::new();
        let mut reach = [0; MOST_AXES];
        if rule.hs2.is_finite() {
            for (axis, &(lo, hi)) in bounds[..MOST_AXES].iter().enumerate() {
                if lo < hi {
                    // In grid units: physical distances are `* spacing`.
                    let h = rule.hs / spacing[axis];
                    let mut side =
                        (h / (d as f64).sqrt() * SHRINK).max((hi - lo) / MOST_SPATIAL_CELLS);
                    // A side too small to divide by safely (or none), and
                    // a bandwidth beyond the grid, make one cell along the axis.
                    if !(side.is_finite() && side >= 1e-200) {
                        side = f64::INFINITY;
                    } else {
                        // Linked modes are at most `h` apart (with rounding).
                        let cells =
                            ((h * (1.0 + SLACK) + TINY) / side * (1.0 + SLACK) + SLACK).ceil();
                        reach[axis] = cells.min(MOST_SPATIAL_CELLS) as i64;
                    }
                    spatial.push(CellAxis {
                        index: axis,
                        lo,
                        side,
                    });
                }
            }
        }
        let mut range = Vec::new();
        if rule.hr2.is_finite() {
            let c_varying = bounds[MOST_AXES..].iter().filter(|b| varies(b)).count();
            for (channel, &(lo, hi)) in bounds[MOST_AXES..].iter().enumerate() {
                if lo < hi {
                    let mut side = (rule.hr / (c_varying as f64).sqrt() * SHRINK)
                        .max((hi - lo) / MOST_RANGE_CELLS);
                    if !(side.is_finite() && side > 0.0) {
                        side = f64::INFINITY;
                    }
                    range.push(CellAxis {
                        index: channel,
                        lo,
                        side,
                    });
                }
            }
        }
        // Sums of `C` values, each at most `largest` in magnitude, are each
        // within `C eps largest` of exact.
        let largest: f64 = bounds[MOST_AXES..]
            .iter()
            .map(|&(lo, hi)| lo.abs().max(hi.abs()))
            .sum();
        let sum_error = 4.0 * c as f64 * f64::EPSILON * largest;
        Ok(Cells {
            spatial,
            reach,
            range,
            projects: rule.hr2.is_finite() && sum_error.is_finite(),
            sum_error,
        })
    }

    /// The packed spatial cell of a mode at `position`.
    #[inline]
    fn spatial_key(&self, position: &[f64; 3]) -> u64 {
        let most = (1i64 << SPATIAL_BITS) - 1;
        let mut key = 0;
        for axis in &self.spatial {
            // NaN becomes 0.
            let cell = axis.cell(position[axis.index]).clamp(0, most) as u64;
            key |= cell << (SPATIAL_BITS * (MOST_AXES - 1 - axis.index) as u32);
        }
        key
    }

    /// A 64-bit hash of the range cell of a mode of `values`.
    #[inline]
    fn range_hash(&self, values: &[f64]) -> u64 {
        let mut hash = 0;
        for axis in &self.range {
            // Saturating: infinities and NaN become numbers.
            hash = fold(hash, axis.cell(values[axis.index]) as u64);
        }
        mix(hash)
    }

    /// The spatial key `by` cells from `key` along each axis, if on the grid.
    fn shifted(key: u64, by: [i64; MOST_AXES]) -> Option<u64> {
        let mask = (1u64 << SPATIAL_BITS) - 1;
        let mut shifted = 0;
        for (axis, &step) in by.iter().enumerate() {
            let shift = SPATIAL_BITS * (MOST_AXES - 1 - axis) as u32;
            let cell = ((key >> shift) & mask) as i64 + step;
            if !(0..=mask as i64).contains(&cell) {
                return None;
            }
            shifted |= (cell as u64) << shift;
        }
        Some(shifted)
    }

    /// What [`Cells::shifted`] adds to a key whose fields stay on the grid.
    fn key_delta(by: [i64; MOST_AXES]) -> i128 {
        by.iter()
            .enumerate()
            .map(|(axis, &step)| i128::from(step) << (SPATIAL_BITS * (MOST_AXES - 1 - axis) as u32))
            .sum()
    }

    /// The offsets of the spatial cells within reach that follow a cell
    /// (later in lexicographic order), so that each pair meets once.
    fn later_neighbours(&self) -> Vec<[i64; MOST_AXES]> {
        let [r0, r1, r2] = self.reach;
        let mut offsets = Vec::new();
        for a in -r0..=r0 {
            for b in -r1..=r1 {
                for c in -r2..=r2 {
                    if [a, b, c] > [0, 0, 0] {
                        offsets.push([a, b, c]);
                    }
                }
            }
        }
        offsets
    }
}

/// Where `len` sorted items are cut into units of parallel work of about
/// `size` items each, never inside a run (`same(i)`: item `i` is in the run
/// of item `i - 1`): each unit's end.
fn whole_run_ends(len: usize, size: usize, same: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 0;
    while at < len {
        let mut end = (at + size).min(len);
        while end < len && same(end) {
            end += 1;
        }
        ends.push(end);
        at = end;
    }
    ends
}

/// `x` as an `f32` no smaller than it.
#[inline]
fn rounded_up(x: f64) -> f32 {
    let r = x as f32;
    if f64::from(r) < x {
        r.next_up()
    } else {
        r
    }
}

/// A distance, coarsely: the top 16 bits of its `f32` (a bfloat16,
/// truncated, so within a relative `2^-7` below it), half the memory of an
/// `f32` for each distinct mode.
#[derive(Debug, Clone, Copy, Default)]
struct Coarse(u16);

impl Coarse {
    fn value(self) -> f64 {
        f64::from(f32::from_bits(u32::from(self.0) << 16))
    }
}

/// The distance of a squared distance `d2`, coarsely (NaN, which prunes
/// nothing, where it would not be finite: a quiet NaN keeps its top bits).
#[inline]
fn coarse(d2: f64) -> Coarse {
    let d = d2.sqrt() as f32;
    let d = if d.is_finite() { d } else { f32::NAN };
    Coarse((d.to_bits() >> 16) as u16)
}

/// Whether modes at distances `d` (exact) and `coarse` ([`coarse`], within
/// a relative `2^-24 + 2^-7`) from one mode are certainly farther apart
/// than `h`: `|d - coarse|` beyond `h` with slack for both roundings.
#[inline]
fn apart(d: f64, coarse: Coarse, h: f64) -> bool {
    let e = coarse.value();
    (d - e).abs() > (h + 1e-2 * (d + e)) * (1.0 + SLACK) + TINY + f64::from(f32::MIN_POSITIVE)
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
#[inline]
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// One step of a multiplicative hash of a sequence of words (mixed once
/// at the end): cheap where [`mix`] per word would be slow.
#[inline]
fn fold(hash: u64, word: u64) -> u64 {
    (hash ^ word)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29)
}

/// A 32-bit hash of the bits of pixel `i`'s mode, so that identical modes
/// sort side by side.
#[inline]
fn mode_hash(rule: &Rule<'_>, i: usize) -> u32 {
    let mut hash = 0;
    for x in &rule.positions[i] {
        hash = fold(hash, x.to_bits());
    }
    for x in rule.value(i) {
        hash = fold(hash, x.to_bits());
    }
    (mix(hash) >> 32) as u32
}

/// Distinct modes of one cell that all link to the first (one set from the
/// start): its spatial key, its modes, and how far they are from its first.
#[derive(Debug, Clone, Copy, Default)]
struct Part {
    key: u64,
    /// The sum of its first mode's values (a projection along which linked
    /// modes are at most `sqrt(C) h_r` apart), or 0 where the cells do not
    /// project.
    sum: f64,
    /// How far its modes are from its first, rounded up (for pruning only:
    /// larger radii prune less, so they never drop a linked pair).
    radius_s: f32,
    radius_r: f32,
    /// Its distinct modes are `distinct[start..end]`.
    start: u32,
    end: u32,
}

/// One grid cell of distinct modes, to be cut into parts: its spatial key,
/// and where its modes start in the list of distinct modes.
struct CellSplit<'a, F> {
    rule: &'a Rule<'a>,
    /// The pixel of a position in the sorted order.
    pixel: &'a F,
    /// Whether parts are ordered by the sums of their firsts' values.
    projects: bool,
    key: u64,
    start: u32,
}

impl<F: Fn(u32) -> usize> CellSplit<'_, F> {
    /// Calls `found` with the cell's parts, its `members` (the positions of
    /// its distinct modes) reordered part by part, with each one's
    /// `distances` from its part's first: one part where all link to the
    /// first, else each mode joins the first part whose first it links
    /// (rounding, a hash collision, cells grown to fit the grid's bits).
    fn parts(
        &self,
        members: &mut [u32],
        distances: &mut [(Coarse, Coarse)],
        work: &mut usize,
        task: &Task,
        mut found: impl FnMut(Part),
    ) -> Result<()> {
        let (rule, pixel) = (self.rule, self.pixel);
        let mut tick = || -> Result<()> {
            *work += 1;
            if (*work).is_multiple_of(CHECK_EVERY) {
                task.check()?;
            }
            Ok(())
        };
        tick()?;
        if let Some(far) = self.radii(members, distances) {
            found(self.part(members, 0, far));
            return Ok(());
        }
        // Parts in order of their firsts.
        let mut firsts_at: Vec<usize> = Vec::new();
        let mut labelled: Vec<(u32, u32)> = Vec::with_capacity(members.len());
        for (x, &k) in members.iter().enumerate() {
            let mut joined = None;
            for (part, &at) in firsts_at.iter().enumerate() {
                tick()?;
                if rule.links(pixel(members[at]), pixel(k)) {
                    joined = Some(part);
                    break;
                }
            }
            let part = joined.unwrap_or_else(|| {
                firsts_at.push(x);
                firsts_at.len() - 1
            });
            labelled.push((part as u32, k));
        }
        labelled.sort_unstable();
        for (slot, &(_, k)) in members.iter_mut().zip(&labelled) {
            *slot = k;
        }
        let mut from = 0;
        while from < members.len() {
            let part = labelled[from].0;
            let to = from + labelled[from..].iter().take_while(|l| l.0 == part).count();
            let far = self
                .radii(&members[from..to], &mut distances[from..to])
                .expect("a part's modes link to its first");
            found(self.part(&members[from..to], from, far));
            from = to;
        }
        Ok(())
    }

    /// If every one of `members` links to the first, the largest squared
    /// distances from it (in position, in value), with each one's
    /// `distances` from it.
    fn radii(&self, members: &[u32], distances: &mut [(Coarse, Coarse)]) -> Option<(f64, f64)> {
        let (rule, pixel) = (self.rule, self.pixel);
        let first = pixel(members[0]);
        let mut far = (0.0f64, 0.0f64);
        distances[0] = (Coarse::default(), Coarse::default());
        for (&k, distance) in members.iter().zip(distances.iter_mut()).skip(1) {
            let k = pixel(k);
            let (d2_s, d2_r) = (rule.d2_s(first, k), rule.d2_r(first, k));
            if !(d2_s <= rule.hs2 && d2_r <= rule.hr2) {
                return None;
            }
            *distance = (coarse(d2_s), coarse(d2_r));
            far = (far.0.max(d2_s), far.1.max(d2_r));
        }
        Some(far)
    }

    /// The part of `members`, the cell's from its position `from` on, whose
    /// largest squared distances from its first are `far`.
    fn part(&self, members: &[u32], from: usize, far: (f64, f64)) -> Part {
        let first = (self.pixel)(members[0]);
        Part {
            key: self.key,
            sum: self.sum_of(first),
            radius_s: rounded_up(far.0.sqrt()),
            radius_r: rounded_up(far.1.sqrt()),
            start: self.start + from as u32,
            end: self.start + (from + members.len()) as u32,
        }
    }

    /// The sum of the values of pixel `first`'s mode, 0 where parts are not
    /// ordered by it.
    fn sum_of(&self, first: usize) -> f64 {
        if !self.projects {
            return 0.0;
        }
        let sum: f64 = self.rule.value(first).iter().sum();
        if sum.is_nan() {
            f64::INFINITY // links nothing: last
        } else {
            sum
        }
    }
}

/// The regions of `modes` on `grid` under bandwidths `spatial` (`h_s`,
/// physical units) and `range` (`h_r`): pixels whose modes are within both
/// are linked, and regions are the connected components of the links.
///
/// ```
/// use fastmeanshift::climbing::joint::JointModes;
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::search::grid::Grid;
/// use fastmeanshift::segmentation::regions::find_regions;
/// use fastmeanshift::Workers;
///
/// // Pixels 0 and 3 are not neighbours, but their modes coincide.
/// let grid = Grid::new(&[1, 4], &[1.0, 1.0])?;
/// let modes = JointModes {
///     positions: vec![[0.0, 0.0, 1.5], [0.0, 0.0, 0.0], [0.0, 0.0, 3.0], [0.0, 0.0, 1.5]],
///     values: vec![5.0, 0.0, 9.0, 5.0],
///     n_iter: 1,
/// };
/// let regions = Workers::new(1)?
///     .run(0, &never_stop, |task| find_regions(&grid, &modes, 1, 1.0, 4.0, task))?;
/// assert_eq!((regions.of_pixel, regions.count), (vec![0, 1, 2, 0], 3));
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub fn find_regions(
    grid: &Grid,
    modes: &JointModes,
    channels: usize,
    spatial: f64,
    range: f64,
    task: &Task,
) -> Result<Regions> {
    let links = link_modes(
        grid,
        &modes.positions,
        &modes.values,
        channels,
        spatial,
        range,
        task,
    )?;
    links.regions(task)
}

/// Which modes are linked: the sets of parts of [`find_regions`], before
/// they are numbered, so that the modes' positions can be freed first
/// ([`Links::regions`]).
pub struct Links {
    /// The pixels by cell and mode.
    order: Vec<u32>,
    /// Each part's distinct modes are `distinct[start..end]`.
    parts: Vec<Part>,
    distinct: Vec<u32>,
    /// The sets of parts.
    sets: ConcurrentSets,
}

/// The links of [`find_regions`]: the modes' `positions` (grid coordinates,
/// one a pixel of `grid`) and `values` (`channels` a pixel).
///
/// ```
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::search::grid::Grid;
/// use fastmeanshift::segmentation::regions::link_modes;
/// use fastmeanshift::Workers;
///
/// let grid = Grid::new(&[1, 3], &[1.0, 1.0])?;
/// let positions = vec![[0.0, 0.0, 0.0], [0.0, 0.0, 0.5], [0.0, 0.0, 2.0]];
/// let values = [1.0, 1.5, 9.0];
/// let regions = Workers::new(1)?.run(0, &never_stop, |task| {
///     let links = link_modes(&grid, &positions, &values, 1, 1.0, 1.0, task)?;
///     // The positions could be freed here.
///     links.regions(task)
/// })?;
/// assert_eq!((regions.of_pixel, regions.count), (vec![0, 0, 1], 2));
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub fn link_modes(
    grid: &Grid,
    positions: &[[f64; 3]],
    values: &[f64],
    channels: usize,
    spatial: f64,
    range: f64,
    task: &Task,
) -> Result<Links> {
    let n = grid.len();
    let rule = Rule {
        grid,
        positions,
        values,
        channels,
        hs: spatial,
        hs2: spatial * spatial,
        hr: range,
        hr2: range * range,
    };
    let cells = Cells::of(&rule, n, task)?;

    // Pixels by spatial cell (a sort of 16-byte pairs), then, cell by cell
    // and in parallel, by range cell and mode, telling where each grid
    // cell starts and which modes are distinct (a copy of a mode follows
    // it): the order of a sort of (spatial cell, range cell, mode, pixel).
    let mut by_cell = try_filled(n, (0u64, 0u32))?;
    by_cell
        .par_chunks_mut(CHECK_EVERY)
        .enumerate()
        .try_for_each(|(chunk, pairs)| {
            task.check()?;
            for (j, pair) in pairs.iter_mut().enumerate() {
                let i = chunk * CHECK_EVERY + j;
                *pair = (cells.spatial_key(&rule.positions[i]), i as u32);
            }
            Ok::<(), crate::Error>(())
        })?;
    by_cell.par_sort_unstable();
    task.check()?;
    let mut flags = try_filled(n, 0u8)?;
    let mut spans = Vec::new();
    let (mut pairs, mut marks) = (&mut by_cell[..], &mut flags[..]);
    let mut at = 0;
    for end in whole_run_ends(n, CHECK_EVERY, |i| pairs[i].0 == pairs[i - 1].0) {
        let (span, rest) = pairs.split_at_mut(end - at);
        let (span_marks, rest_marks) = marks.split_at_mut(end - at);
        spans.push((span, span_marks));
        (pairs, marks, at) = (rest, rest_marks, end);
    }
    spans.into_par_iter().try_for_each(|(pairs, marks)| {
        task.check()?;
        let mut keys: Vec<(u64, u32, u32)> = Vec::new();
        let mut from = 0;
        while from < pairs.len() {
            let to = from
                + pairs[from..]
                    .iter()
                    .take_while(|p| p.0 == pairs[from].0)
                    .count();
            keys.clear();
            keys.extend(pairs[from..to].iter().map(|&(_, i)| {
                let i = i as usize;
                (
                    cells.range_hash(rule.value(i)),
                    mode_hash(&rule, i),
                    i as u32,
                )
            }));
            keys.sort_unstable();
            let mut last_distinct = 0;
            for (x, key) in keys.iter().enumerate() {
                pairs[from + x].1 = key.2;
                marks[from + x] = if x == 0 || key.0 != keys[x - 1].0 {
                    NEW_GRID_CELL | DISTINCT
                } else if key.1 == keys[x - 1].1
                    && rule.same_mode(key.2 as usize, keys[last_distinct].2 as usize)
                {
                    continue; // a copy of the last distinct mode
                } else {
                    DISTINCT
                };
                last_distinct = x;
            }
            from = to;
        }
        Ok::<(), crate::Error>(())
    })?;

    // Pixels in that order, their distinct modes (as positions in it), and
    // the grid's occupied cells (spatial key and distinct modes).
    let mut order: Vec<u32> = try_reserved(n)?;
    order.extend(by_cell.iter().map(|pair| pair.1));
    drop(by_cell);
    let pixel = |k: u32| order[k as usize] as usize;
    let cells_project = cells.projects;
    // Room for a cell and a distinct mode a pixel: reserved, not touched
    // (only the pages written count), and never grown by doubling.
    let mut distinct: Vec<u32> = try_reserved(n)?;
    // A grid cell is a part until it is cut (below): its key and its
    // distinct modes, `distinct[start..end]`.
    let mut parts: Vec<Part> = try_reserved(n)?;
    for (k, &mark) in flags.iter().enumerate() {
        if k % CHECK_EVERY == 0 {
            task.check()?;
        }
        if mark & NEW_GRID_CELL != 0 {
            let at = distinct.len() as u32;
            parts.push(Part {
                key: cells.spatial_key(&rule.positions[pixel(k as u32)]),
                start: at,
                end: at,
                ..Part::default()
            });
        }
        if mark & DISTINCT != 0 {
            distinct.push(k as u32);
            parts.last_mut().expect("a cell starts first").end += 1;
        }
    }
    drop(flags);

    // The sets: a grid cell whose distinct modes all link to its first is
    // one part; else it splits, each mode joining the first part whose first
    // it links. Cells in parallel, in runs whose modes lie side by side; a
    // cell's first part in the cell's own slot, the rare further parts of a
    // split after all of them (the sort below orders them).
    let mut to_first = try_filled(distinct.len(), (Coarse::default(), Coarse::default()))?;
    let mut runs_of_cells = Vec::new();
    let (mut members, mut distances) = (&mut distinct[..], &mut to_first[..]);
    for slots in parts.chunks_mut(CELLS_PER_PART) {
        let len = (slots[slots.len() - 1].end - slots[0].start) as usize;
        let (run_members, rest_members) = members.split_at_mut(len);
        let (run_distances, rest_distances) = distances.split_at_mut(len);
        runs_of_cells.push((slots, run_members, run_distances));
        (members, distances) = (rest_members, rest_distances);
    }
    let further: Vec<Vec<Part>> = runs_of_cells
        .into_par_iter()
        .map(|(slots, members, distances)| {
            let mut further = Vec::new();
            let mut work = 0;
            let base = slots[0].start;
            for slot in slots {
                let run = (slot.start - base) as usize..(slot.end - base) as usize;
                let split = CellSplit {
                    rule: &rule,
                    pixel: &pixel,
                    projects: cells_project,
                    key: slot.key,
                    start: slot.start,
                };
                let mut first = true;
                split.parts(
                    &mut members[run.clone()],
                    &mut distances[run],
                    &mut work,
                    task,
                    |part| match std::mem::take(&mut first) {
                        true => *slot = part,
                        false => further.push(part),
                    },
                )?;
            }
            Ok(further)
        })
        .collect::<Result<_>>()?;
    let extra: usize = further.iter().map(Vec::len).sum();
    parts
        .try_reserve_exact(extra)
        .map_err(|_| crate::Error::OutOfMemory {
            bytes: extra.saturating_mul(std::mem::size_of::<Part>()),
        })?;
    parts.extend(further.into_iter().flatten());

    // Parts by spatial cell, then by the sum of their first's values (ties
    // in the order they were found).
    parts.par_sort_unstable_by(|a, b| {
        (a.key.cmp(&b.key))
            .then(a.sum.total_cmp(&b.sum))
            .then(a.start.cmp(&b.start))
    });
    task.check()?;
    // How far apart the sums of two parts' firsts can be when the parts
    // hold linked modes (radii `r1` and `r2`), with the sums' rounding.
    let root_c = (channels as f64).sqrt();
    let window = |r1: f64, r2: f64| {
        if cells.projects {
            root_c * (rule.hr + r1 + r2) * (1.0 + SLACK) + TINY + cells.sum_error
        } else {
            f64::INFINITY
        }
    };

    // Parts meet parts, each pair once, spatial cells in parallel: the
    // components do not depend on the order of the unions.
    let sets = ConcurrentSets::new(parts.len())?;
    let first_of = |part: &Part| pixel(distinct[part.start as usize]);
    let meet = |a: usize, b: usize, work: &mut usize| -> Result<()> {
        let mut tick = || -> Result<()> {
            *work += 1;
            if (*work).is_multiple_of(CHECK_EVERY) {
                task.check()?;
            }
            Ok(())
        };
        tick()?;
        let (pa, pb) = (&parts[a], &parts[b]);
        let (fa, fb) = (first_of(pa), first_of(pb));
        let (d2_s, d2_r) = (rule.d2_s(fa, fb), rule.d2_r(fa, fb));
        if !rule.may_link(
            d2_s,
            d2_r,
            f64::from(pa.radius_s) + f64::from(pb.radius_s),
            f64::from(pa.radius_r) + f64::from(pb.radius_r),
        ) {
            return Ok(());
        }
        if sets.same(a, b) {
            return Ok(());
        }
        // The smaller part's modes against the larger's, to the first link.
        let (small, large) = if pa.end - pa.start <= pb.end - pb.start {
            (pa, pb)
        } else {
            (pb, pa)
        };
        let large_first = first_of(large);
        let large_range = large.start as usize..large.end as usize;
        for &p in &distinct[small.start as usize..small.end as usize] {
            tick()?;
            let i = pixel(p);
            let (d2_s, d2_r) = (rule.d2_s(i, large_first), rule.d2_r(i, large_first));
            let radii = (f64::from(large.radius_s), f64::from(large.radius_r));
            if !rule.may_link(d2_s, d2_r, radii.0, radii.1) {
                continue;
            }
            let (ds, dr) = (d2_s.sqrt(), d2_r.sqrt());
            for (&q, &(qs, qr)) in distinct[large_range.clone()]
                .iter()
                .zip(&to_first[large_range.clone()])
            {
                tick()?;
                // The triangle inequality through the large part's first.
                if apart(ds, qs, rule.hs) || apart(dr, qr, rule.hr) {
                    continue;
                }
                if rule.links(i, pixel(q)) {
                    sets.unite(a, b);
                    return Ok(());
                }
            }
        }
        Ok(())
    };
    // Runs of parts in one spatial cell, read off the sorted parts (a list
    // of runs would take as much memory as the parts where a cell holds a
    // mode or two, as in a volume): where the run from part `first` ends,
    // and its largest range radius.
    let run_from = |first: usize| -> (usize, f64) {
        let key = parts[first].key;
        let mut radius = 0.0f64;
        let mut end = first;
        while end < parts.len() && parts[end].key == key {
            radius = radius.max(f64::from(parts[end].radius_r));
            end += 1;
        }
        (end, radius)
    };
    // Units of parallel work: whole runs, about as many parts each.
    let mut bounds = vec![0];
    bounds.extend(whole_run_ends(parts.len(), PARTS_PER_CHUNK, |i| {
        parts[i].key == parts[i - 1].key
    }));
    let offsets = cells.later_neighbours();
    // Each offset as one signed shift of a packed key; a field shifted off
    // the grid carries into the next, which `Cells::shifted` tells apart.
    let deltas: Vec<i128> = offsets.iter().map(|&by| Cells::key_delta(by)).collect();
    let key_at = |at: usize| i128::from(parts[at].key);
    bounds.par_windows(2).try_for_each(|chunk| {
        let mut work = 0;
        // Per offset, the first part at or after the shifted key: parts are
        // in key order and keys shift with them, so each only moves on
        // (a read in order, where a table lookup would miss the cache).
        let mut cursors: Vec<usize> = deltas
            .iter()
            .map(|&delta| {
                parts.partition_point(|part| i128::from(part.key) < key_at(chunk[0]) + delta)
            })
            .collect();
        let mut first = chunk[0];
        while first < chunk[1] {
            let key = parts[first].key;
            let (end, radius) = run_from(first);
            // Within the run: each part with the later ones of a close sum.
            let reach = window(radius, radius);
            for a in first..end {
                let last = parts[a].sum + reach;
                for (b, part) in parts.iter().enumerate().take(end).skip(a + 1) {
                    // Never NaN: a NaN sum is infinite, and so is the window
                    // only when every sum is 0.
                    if part.sum > last {
                        break;
                    }
                    meet(a, b, &mut work)?;
                }
            }
            // With a later run: a window of sums that slides along.
            for ((&by, &delta), cursor) in offsets.iter().zip(&deltas).zip(&mut cursors) {
                let target = i128::from(key) + delta;
                while *cursor < parts.len() && key_at(*cursor) < target {
                    *cursor += 1;
                }
                if *cursor == parts.len()
                    || key_at(*cursor) != target
                    || Cells::shifted(key, by) != Some(parts[*cursor].key)
                {
                    continue;
                }
                let other_first = *cursor;
                let (other_end, other_radius) = run_from(other_first);
                let reach = window(radius, other_radius);
                let mut from = other_first;
                for a in first..end {
                    while from < other_end && parts[from].sum < parts[a].sum - reach {
                        from += 1;
                    }
                    let last = parts[a].sum + reach;
                    for (b, part) in parts.iter().enumerate().take(other_end).skip(from) {
                        if part.sum > last {
                            break;
                        }
                        meet(a, b, &mut work)?;
                    }
                }
            }
            first = end;
        }
        Ok(())
    })?;
    drop(to_first);
    Ok(Links {
        order,
        parts,
        distinct,
        sets,
    })
}

impl Links {
    /// Each pixel's region (numbered in raster order of first pixels), and
    /// the number of regions (an example: [`link_modes`]).
    pub fn regions(self, task: &Task) -> Result<Regions> {
        let Links {
            order,
            parts,
            distinct,
            sets,
        } = self;
        let n = order.len();
        // Each pixel's part: a distinct mode's directly (only now: not held
        // while parts meet), a copy's from the distinct mode before it in the
        // order; then its set.
        let mut of_pixel = try_filled(n, u32::MAX)?;
        for (id, part) in parts.iter().enumerate() {
            if id % CHECK_EVERY == 0 {
                task.check()?;
            }
            for &k in &distinct[part.start as usize..part.end as usize] {
                of_pixel[order[k as usize] as usize] = id as u32;
            }
        }
        drop((parts, distinct));
        let mut part = 0;
        for (k, &i) in order.iter().enumerate() {
            if k % CHECK_EVERY == 0 {
                task.check()?;
            }
            match of_pixel[i as usize] {
                u32::MAX => of_pixel[i as usize] = part,
                distinct => part = distinct,
            }
        }
        drop(order);
        let mut parent = sets.into_parents();
        for (i, region) in of_pixel.iter_mut().enumerate() {
            if i % CHECK_EVERY == 0 {
                task.check()?;
            }
            *region = find(&mut parent, *region as usize) as u32;
        }
        let mut number = parent;
        number.fill(u32::MAX);
        let mut count = 0u32;
        for (i, region) in of_pixel.iter_mut().enumerate() {
            if i % CHECK_EVERY == 0 {
                task.check()?;
            }
            let root = *region as usize;
            if number[root] == u32::MAX {
                number[root] = count;
                count += 1;
            }
            *region = number[root];
        }
        Ok(Regions {
            of_pixel,
            count: count as usize,
        })
    }
}

/// The root of `i`'s set, halving the path on the way.
pub(crate) fn find(parent: &mut [u32], mut i: usize) -> usize {
    while parent[i] as usize != i {
        let grandparent = parent[parent[i] as usize];
        parent[i] = grandparent;
        i = grandparent as usize;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Joins the sets of `a` and `b`; the lower root becomes the root.
    fn unite(parent: &mut [u32], a: usize, b: usize) {
        let (ra, rb) = (find(parent, a), find(parent, b));
        let (low, high) = (ra.min(rb), ra.max(rb));
        parent[high] = low as u32;
    }

    /// Pixels linked by the rule (docs/algorithm.md §13.3), compared
    /// literally.
    fn linked(
        grid: &Grid,
        modes: &JointModes,
        c: usize,
        hs: f64,
        hr: f64,
        a: usize,
        b: usize,
    ) -> bool {
        let d2_s = grid.squared_distance(&modes.positions[a], &modes.positions[b]);
        let mut d2_r = 0.0;
        for j in 0..c {
            let t = modes.values[a * c + j] - modes.values[b * c + j];
            d2_r += t * t;
        }
        d2_s <= hs * hs && d2_r <= hr * hr
    }

    /// The regions by a union over all pairs, numbered by first pixel.
    fn all_pairs(grid: &Grid, modes: &JointModes, c: usize, hs: f64, hr: f64) -> Regions {
        let n = grid.len();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        for a in 0..n {
            for b in a + 1..n {
                if linked(grid, modes, c, hs, hr, a, b) {
                    unite(&mut parent, a, b);
                }
            }
        }
        let mut number = vec![u32::MAX; n];
        let mut count = 0;
        let of_pixel = (0..n)
            .map(|i| {
                let root = find(&mut parent, i);
                if number[root] == u32::MAX {
                    number[root] = count;
                    count += 1;
                }
                number[root]
            })
            .collect();
        Regions {
            of_pixel,
            count: count as usize,
        }
    }

    fn regions(grid: &Grid, modes: &JointModes, c: usize, hs: f64, hr: f64) -> Regions {
        find_regions(grid, modes, c, hs, hr, &Task::uncancelled()).unwrap()
    }

    /// Modes of a 1 x n row: positions along the last axis, one channel
    /// unless `values` has more per pixel.
    fn row(positions: &[f64], values: &[f64]) -> (Grid, JointModes) {
        let grid = Grid::new(&[1, positions.len()], &[1.0, 1.0]).unwrap();
        let modes = JointModes {
            positions: positions.iter().map(|&x| [0.0, 0.0, x]).collect(),
            values: values.to_vec(),
            n_iter: 0,
        };
        (grid, modes)
    }

    #[test]
    fn far_apart_pixels_whose_modes_coincide_are_one_region() {
        // A 5 x 5 image: pixels 0 and 24 (opposite corners) share a mode;
        // every other pixel's mode is far from it and from the others.
        let grid = Grid::new(&[5, 5], &[1.0, 1.0]).unwrap();
        let mut modes = JointModes {
            positions: (0..25).map(|i| grid.position(i)).collect(),
            values: (0..25).map(|i| 10.0 * i as f64).collect(),
            n_iter: 0,
        };
        modes.positions[24] = modes.positions[0];
        modes.values[24] = modes.values[0];
        let got = regions(&grid, &modes, 1, 0.5, 1.0);
        assert_eq!(got.of_pixel[24], got.of_pixel[0]);
        assert_eq!(got.count, 24);
        assert_eq!(got, all_pairs(&grid, &modes, 1, 0.5, 1.0));
    }

    #[test]
    fn a_chain_links_through_its_middle() {
        // a (pixel 0) and c (pixel 2) are 2 apart in position and 4 in
        // value; b (pixel 4, not adjacent to either) is within 1 and 2 of
        // both. Pixels 1 and 3 are far from everything.
        let (grid, modes) = row(&[0.0, 0.0, 2.0, 2.0, 1.0], &[0.0, 50.0, 4.0, -50.0, 2.0]);
        let got = regions(&grid, &modes, 1, 1.0, 2.0);
        assert_eq!(got.of_pixel, [0, 1, 0, 2, 0]);
        // Without b, a and c are apart.
        let (grid, modes) = row(&[0.0, 0.0, 2.0, 2.0], &[0.0, 50.0, 4.0, -50.0]);
        assert_eq!(regions(&grid, &modes, 1, 1.0, 2.0).count, 4);
    }

    #[test]
    fn exactly_a_bandwidth_apart_links_and_a_hair_more_does_not() {
        let hair = |x: f64| f64::from_bits(x.to_bits() + 1);
        // Exactly h_s = 2 apart in position (same value).
        let (grid, modes) = row(&[0.0, 2.0], &[1.0, 1.0]);
        assert_eq!(regions(&grid, &modes, 1, 2.0, 1.0).count, 1);
        let (grid, modes) = row(&[0.0, hair(2.0)], &[1.0, 1.0]);
        assert_eq!(regions(&grid, &modes, 1, 2.0, 1.0).count, 2);
        // Exactly h_r = 5 apart in value, over two channels (3, 4).
        let (grid, modes) = row(&[1.0, 1.0], &[0.0, 0.0, 3.0, 4.0]);
        assert_eq!(regions(&grid, &modes, 2, 1.0, 5.0).count, 1);
        let (grid, modes) = row(&[1.0, 1.0], &[0.0, 0.0, 3.0, hair(4.0)]);
        assert_eq!(regions(&grid, &modes, 2, 1.0, 5.0).count, 2);
        // With a spacing: 0.75 grid units of spacing 4 are 3 physical units.
        let grid = Grid::new(&[2, 1], &[4.0, 1.0]).unwrap();
        let modes = JointModes {
            positions: vec![[0.0, 0.25, 0.0], [0.0, 1.0, 0.0]],
            values: vec![0.0, 0.0],
            n_iter: 0,
        };
        assert_eq!(regions(&grid, &modes, 1, 3.0, 1.0).count, 1);
        assert_eq!(regions(&grid, &modes, 1, 3.0 - 1e-15, 1.0).count, 2);
    }

    /// A small random number generator (xorshift64*), for reproducible
    /// cases.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        /// Uniform in `[0, 1)`.
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick(&mut self, xs: &[f64]) -> f64 {
            xs[self.below(xs.len())]
        }
    }

    /// Random modes around a few centres, at a scale `spread` times the
    /// bandwidths, some copies of others, some on a lattice a bandwidth
    /// apart.
    fn random_case(random: &mut Random) -> (Grid, JointModes, usize, f64, f64) {
        let axes = 1 + random.below(3);
        let shape: Vec<usize> = (0..axes).map(|_| 1 + random.below(6)).collect();
        let spacing: Vec<f64> = (0..axes)
            .map(|_| random.pick(&[1.0, 0.5, 2.0, 0.7]))
            .collect();
        let grid = Grid::new(&shape, &spacing).unwrap();
        let c = 1 + random.below(5);
        let hs = random.pick(&[1.0, 2.5, 0.3, 1e-7, 1e6]);
        let hr = random.pick(&[1.0, 4.5, 0.1, 1e-9, 1e200]);
        let spread = random.pick(&[0.0, 0.2, 0.7, 1.0, 2.0, 5.0]);
        let n = grid.len();
        let centres = 1 + random.below(4);
        let sizes = grid.shape();
        let mut modes = JointModes {
            positions: Vec::new(),
            values: Vec::new(),
            n_iter: 0,
        };
        let centre_positions: Vec<[f64; 3]> = (0..centres)
            .map(|_| {
                let i = random.below(n);
                grid.position(i)
            })
            .collect();
        let centre_values: Vec<f64> = (0..centres * c).map(|_| random.unit() * 10.0).collect();
        let s = grid.spacing();
        for i in 0..n {
            if i > 0 && random.below(4) == 0 {
                let j = random.below(i);
                let p = modes.positions[j];
                modes.positions.push(p);
                for k in 0..c {
                    modes.values.push(modes.values[j * c + k]);
                }
                continue;
            }
            let centre = random.below(centres);
            let lattice = random.below(3) == 0;
            let mut p = centre_positions[centre];
            for d in 0..3 {
                if sizes[d] > 1 {
                    let step = if lattice {
                        (random.below(5) as f64 - 2.0) * hs / s[d]
                    } else {
                        (random.unit() - 0.5) * 2.0 * spread * hs / s[d]
                    };
                    p[d] += step.clamp(-1e3, 1e3);
                }
            }
            modes.positions.push(p);
            for k in 0..c {
                let step = if lattice {
                    (random.below(5) as f64 - 2.0) * hr
                } else {
                    (random.unit() - 0.5) * 2.0 * spread * hr
                };
                modes
                    .values
                    .push(centre_values[centre * c + k] + step.clamp(-1e3, 1e3));
            }
        }
        (grid, modes, c, hs, hr)
    }

    #[test]
    fn the_same_as_all_pairs_on_random_cases() {
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        for case in 0..3000 {
            let (grid, modes, c, hs, hr) = random_case(&mut random);
            assert_eq!(
                regions(&grid, &modes, c, hs, hr),
                all_pairs(&grid, &modes, c, hs, hr),
                "case {case}: shape {:?}, {c} channels, hs {hs}, hr {hr}",
                grid.shape()
            );
        }
    }

    #[test]
    fn cells_whose_modes_do_not_all_link_split() {
        // Bandwidths so small that cells grow beyond them (the most cells
        // along an axis): the modes of one cell need not link.
        let positions: Vec<f64> = (0..40)
            .map(|i| (i % 8) as f64 * 0.25 + (i / 8) as f64 * 1e-8)
            .collect();
        let values: Vec<f64> = (0..40).map(|i| (i % 5) as f64 * 1e-12).collect();
        let (grid, modes) = row(&positions, &values);
        for (hs, hr) in [(2e-8, 1e-12), (1e-7, 1.5e-12), (0.3, 1e-13)] {
            assert_eq!(
                regions(&grid, &modes, 1, hs, hr),
                all_pairs(&grid, &modes, 1, hs, hr)
            );
        }
    }

    #[test]
    fn many_channels() {
        let mut random = Random(7);
        let c = 40;
        let grid = Grid::new(&[6, 7], &[1.0, 1.0]).unwrap();
        let modes = JointModes {
            positions: (0..42).map(|i| grid.position(i / 3 * 3)).collect(),
            values: (0..42 * c)
                .map(|k| (k % c) as f64 + random.unit() * 0.3)
                .collect(),
            n_iter: 0,
        };
        for hr in [0.5, 1.0, 2.0] {
            assert_eq!(
                regions(&grid, &modes, c, 1.5, hr),
                all_pairs(&grid, &modes, c, 1.5, hr)
            );
        }
    }

    #[test]
    fn a_stop_ends_it() {
        let (grid, modes) = row(&[0.0; 10], &[0.0; 10]);
        let got = crate::parallel::tests::run_cancelled(|task| {
            find_regions(&grid, &modes, 1, 1.0, 1.0, task)
        });
        assert!(matches!(got, Err(crate::Error::Interrupted)));
    }
}
