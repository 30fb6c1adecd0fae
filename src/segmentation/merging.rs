//! Small-region merging (docs/algorithm.md §13.4): while some region has
//! fewer than `min_size` pixels, the smallest (the lowest number among the
//! smallest) joins its neighbouring region of nearest value, and the union
//! takes the lower of the two numbers (as renumbering in raster order of
//! first pixels after each merge would). A region's
//! value is the mean of its pixels' modes: an exact sum, rounded once,
//! over a count.
//!
//! The merges go size by size: the regions of one pixel first, in a sweep
//! of the pixels; then, with the unions renumbered densely and their
//! contacts listed from the pixels, each larger size in turn, the unions'
//! contacts walked through rings of their members, and the unions compacted
//! again whenever half of them have merged away.

use super::regions::{find, Regions};
use crate::error::{try_copied, try_filled, try_reserved, Result};
use crate::exact::expansion::ExactSum;
use crate::exact::fixed::FixedPoint;
use crate::parallel::Task;
use crate::search::grid::Grid;

/// Merges made between two stop checks.
const CHECK_EVERY: usize = 1 << 10;

/// The regions after merging, renumbered in raster order of first pixels,
/// and each region's value (`channels` each, in that order).
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// One region number per pixel.
    pub regions: Regions,
    /// Per region, the mean of its pixels' modes.
    pub values: Vec<f64>,
}

/// The exact sums of the regions' mode values, one per region and channel
/// (region `r`'s channel `j` at `r * channels + j`).
enum Sums {
    /// As integers at one fixed point, when the modes have one (nearly
    /// always: an image's values span few binary orders of magnitude): no
    /// heap memory per sum, and a merge adds two integers per channel.
    Fixed(FixedPoint, Vec<i128>),
    /// As expansions, for modes too far apart in magnitude for that.
    Expansions(Vec<ExactSum>),
}

impl Sums {
    /// Each region's sums of its pixels' `modes`.
    fn of(regions: &Regions, modes: &[f64], channels: usize) -> Result<Self> {
        let len = regions.count * channels;
        // No region has more pixels than there are values: a bound on the
        // terms of any sum, merged or not.
        match FixedPoint::fitting(modes) {
            Some(fixed) => {
                let mut sums = try_filled(len, 0i128)?;
                for_each_mode(regions, modes, channels, |r, mode| {
                    for (sum, &x) in sums[r * channels..][..channels].iter_mut().zip(mode) {
                        *sum += fixed.units(x);
                    }
                });
                Ok(Sums::Fixed(fixed, sums))
            }
            None => {
                let mut sums = try_filled(len, ExactSum::default())?;
                for_each_mode(regions, modes, channels, |r, mode| {
                    for (sum, &x) in sums[r * channels..][..channels].iter_mut().zip(mode) {
                        sum.add(x);
                    }
                });
                Ok(Sums::Expansions(sums))
            }
        }
    }

    /// Adds sum `from` to sum `into`; `from` is not read again.
    fn absorb(&mut self, into: usize, from: usize) {
        match self {
            Sums::Fixed(_, sums) => sums[into] += sums[from],
            Sums::Expansions(sums) => {
                let from = std::mem::take(&mut sums[from]);
                sums[into].add_sum(&from);
            }
        }
    }

    /// The sums of regions `roots`, in that order, `channels` each; theirs
    /// are not read again.
    fn gathered(&mut self, roots: &[u32], channels: usize) -> Result<Self> {
        let len = roots.len() * channels;
        let of = |r: u32| r as usize * channels..(r as usize + 1) * channels;
        Ok(match self {
            Sums::Fixed(fixed, sums) => {
                let mut gathered = try_reserved(len)?;
                for &r in roots {
                    gathered.extend_from_slice(&sums[of(r)]);
                }
                Sums::Fixed(*fixed, gathered)
            }
            Sums::Expansions(sums) => {
                let mut gathered = try_reserved(len)?;
                for &r in roots {
                    gathered.extend(sums[of(r)].iter_mut().map(std::mem::take));
                }
                Sums::Expansions(gathered)
            }
        })
    }

    /// Sums `k..k + means.len()`, each rounded once, over `size`.
    fn means(&self, k: usize, size: usize, means: &mut [f64]) {
        let size = size as f64;
        match self {
            Sums::Fixed(fixed, sums) => {
                for (mean, &sum) in means.iter_mut().zip(&sums[k..]) {
                    *mean = fixed.rounded(sum) / size;
                }
            }
            Sums::Expansions(sums) => {
                for (mean, sum) in means.iter_mut().zip(&sums[k..]) {
                    *mean = sum.value() / size;
                }
            }
        }
    }
}

/// Calls `add` with each pixel's region and mode.
fn for_each_mode(
    regions: &Regions,
    modes: &[f64],
    channels: usize,
    mut add: impl FnMut(usize, &[f64]),
) {
    if channels > 0 {
        for (&r, mode) in regions.of_pixel.iter().zip(modes.chunks_exact(channels)) {
            add(r as usize, mode);
        }
    }
}

/// Each region's pixel count, the exact sums of its pixels' mode values
/// per channel, and its value (their mean) kept for the comparisons.
struct Tally {
    sizes: Vec<usize>,
    sums: Sums,
    values: Vec<f64>,
    channels: usize,
}

impl Tally {
    fn of(regions: &Regions, modes: &[f64], channels: usize) -> Result<Self> {
        let mut sizes = try_filled(regions.count, 0)?;
        // A region of one pixel has its mode for value (the sum of one term,
        // but +0 for -0 as the sums give it): most regions, whose values
        // then need no rounding of sums.
        let mut values = try_filled(regions.count * channels, 0.0)?;
        for_each_mode(regions, modes, channels, |r, mode| {
            for (value, &x) in values[r * channels..][..channels].iter_mut().zip(mode) {
                *value = x + 0.0;
            }
        });
        for &r in &regions.of_pixel {
            sizes[r as usize] += 1;
        }
        let mut tally = Tally {
            sizes,
            sums: Sums::of(regions, modes, channels)?,
            values,
            channels,
        };
        for r in 0..regions.count {
            if tally.sizes[r] != 1 {
                tally.update_value(r);
            }
        }
        Ok(tally)
    }

    /// The tally of regions `roots`, in that order; theirs are not read
    /// again.
    fn gathered(&mut self, roots: &[u32]) -> Result<Self> {
        let c = self.channels;
        let mut sizes = try_reserved(roots.len())?;
        sizes.extend(roots.iter().map(|&r| self.sizes[r as usize]));
        let mut values = try_reserved(roots.len() * c)?;
        for &r in roots {
            values.extend_from_slice(self.value(r as usize));
        }
        Ok(Tally {
            sizes,
            sums: self.sums.gathered(roots, c)?,
            values,
            channels: c,
        })
    }

    /// Region `r`'s value, from its sums and size.
    fn update_value(&mut self, r: usize) {
        let c = self.channels;
        let values = &mut self.values[r * c..][..c];
        self.sums.means(r * c, self.sizes[r], values);
    }

    /// Region `r`'s values, one per channel.
    fn value(&self, r: usize) -> &[f64] {
        &self.values[r * self.channels..][..self.channels]
    }

    /// Adds region `from`'s pixels to region `into`.
    fn absorb(&mut self, into: usize, from: usize) {
        let c = self.channels;
        self.sizes[into] += self.sizes[from];
        for j in 0..c {
            self.sums.absorb(into * c + j, from * c + j);
        }
        self.update_value(into);
    }
}

/// `sum_j (a_j - b_j)^2` in channel order; unrolled, the same sum, for the
/// commonest numbers of channels (grey, colour, colour with alpha), as the
/// merging computes it for every contact.
#[inline]
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    match a.len() {
        1 => squared_distance_of::<1>(a, b),
        3 => squared_distance_of::<3>(a, b),
        4 => squared_distance_of::<4>(a, b),
        _ => a
            .iter()
            .zip(b)
            .fold(0.0, |d2, (x, y)| d2 + (x - y) * (x - y)),
    }
}

/// [`squared_distance`] of `C` values.
#[inline]
fn squared_distance_of<const C: usize>(a: &[f64], b: &[f64]) -> f64 {
    let (a, b): (&[f64; C], &[f64; C]) = (a.try_into().unwrap(), b.try_into().unwrap());
    let mut d2 = 0.0;
    for j in 0..C {
        let t = a[j] - b[j];
        d2 += t * t;
    }
    d2
}

/// The nodes touching each node of fewer than `below` pixels (holding a
/// pixel next to one of its pixels along an axis), as numbers that may
/// since have merged into others (resolved through the merges' union find)
/// and may repeat: node `r`'s are `entries[offsets[r]..offsets[r + 1]]`,
/// all in one array. Larger nodes only grow, never merge away: nothing
/// reads theirs, and they have none.
struct Contacts {
    offsets: Vec<usize>,
    entries: Vec<u32>,
}

/// Where contacts come from.
trait ContactList {
    /// For each node, at most how many contacts it has, and a 0 after
    /// them.
    fn room(&self) -> Result<Vec<usize>>;
    /// Calls `touch(from, to)` for each contact.
    fn each(&self, touch: impl FnMut(usize, u32)) -> Result<()>;
}

impl Contacts {
    /// The contacts `list` gives, written in one pass each into its node's
    /// room, then closed up; but the repeats of the one before for the same
    /// node (along the raster, or a union's members', one contact comes in
    /// runs).
    fn listed(list: &impl ContactList) -> Result<Self> {
        // Each node's room, then where it starts.
        let mut offsets = list.room()?;
        let nodes = offsets.len() - 1;
        let mut start = 0;
        for offset in offsets.iter_mut() {
            let room = *offset;
            *offset = start;
            start += room;
        }
        let mut entries = try_filled(start, 0)?;
        let mut cursors = try_reserved(nodes)?;
        cursors.extend(offsets[..nodes].iter().map(|&next| Cursor {
            next,
            last: u32::MAX,
        }));
        list.each(|from, to| {
            let cursor = &mut cursors[from];
            if cursor.last != to {
                cursor.last = to;
                entries[cursor.next] = to;
                cursor.next += 1;
            }
        })?;
        let mut end = 0;
        for (r, cursor) in cursors.iter().enumerate() {
            let start = offsets[r];
            entries.copy_within(start..cursor.next, end);
            offsets[r] = end;
            end += cursor.next - start;
        }
        offsets[nodes] = end;
        entries.truncate(end);
        Ok(Contacts { offsets, entries })
    }

    /// The nodes node `r` touched when the contacts were listed.
    fn of_node(&self, r: usize) -> &[u32] {
        &self.entries[self.offsets[r]..self.offsets[r + 1]]
    }
}

/// Where a node's next contact goes as they are listed, and the last one.
struct Cursor {
    next: usize,
    last: u32,
}

/// The contacts of the nodes of fewer than `below` pixels (`sizes`), from
/// the pixels' neighbour pairs: each pixel's region's node is
/// `node_of_region`'s.
struct PixelContacts<'a> {
    grid: &'a Grid,
    of_pixel: &'a [u32],
    node_of_region: &'a [u32],
    sizes: &'a [usize],
    below: usize,
    task: &'a Task,
}

impl ContactList for PixelContacts<'_> {
    /// A pixel has two neighbours along each axis longer than 1.
    fn room(&self) -> Result<Vec<usize>> {
        let neighbours = 2 * self.grid.shape().iter().filter(|&&n| n > 1).count();
        let mut room = try_reserved(self.sizes.len() + 1)?;
        room.extend(self.sizes.iter().map(|&size| {
            if size < self.below {
                size * neighbours
            } else {
                0
            }
        }));
        room.push(0);
        Ok(room)
    }

    fn each(&self, mut touch: impl FnMut(usize, u32)) -> Result<()> {
        let node = |i: usize| self.node_of_region[self.of_pixel[i] as usize];
        self.grid.for_each_neighbour_pair(
            |_| self.task.check(),
            |before, i| {
                let (q, r) = (node(before), node(i));
                if q != r {
                    for (from, to) in [(r, q), (q, r)] {
                        if self.sizes[from as usize] < self.below {
                            touch(from as usize, to);
                        }
                    }
                }
                Ok(())
            },
        )
    }
}

/// The contacts of the unions of fewer than `below` pixels (`sizes`), each
/// a node numbered by `number` (of each former node), from their members'
/// `contacts`, without the union itself.
struct UnionContacts<'a> {
    contacts: &'a Contacts,
    number: &'a [u32],
    sizes: &'a [usize],
    below: usize,
    task: &'a Task,
}

impl ContactList for UnionContacts<'_> {
    /// A union has at most its members' contacts.
    fn room(&self) -> Result<Vec<usize>> {
        let mut room = try_filled(self.sizes.len() + 1, 0)?;
        for (member, &union) in self.number.iter().enumerate() {
            if self.sizes[union as usize] < self.below {
                room[union as usize] += self.contacts.of_node(member).len();
            }
        }
        Ok(room)
    }

    fn each(&self, mut touch: impl FnMut(usize, u32)) -> Result<()> {
        for (member, &union) in self.number.iter().enumerate() {
            if member % (CHECK_EVERY << 4) == 0 {
                self.task.check()?;
            }
            if self.sizes[union as usize] < self.below {
                for &q in self.contacts.of_node(member) {
                    let q = self.number[q as usize];
                    if q != union {
                        touch(union as usize, q);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The merges so far: the union find of node numbers, and each union's
/// members in a ring (`ring[m]` is the member after `m`), so that a union's
/// contacts are its members'.
struct Unions {
    parent: Vec<u32>,
    ring: Vec<u32>,
}

impl Unions {
    /// Every node on its own.
    fn new(count: usize) -> Result<Self> {
        let mut parent = try_reserved(count)?;
        parent.extend(0..count as u32);
        Ok(Unions {
            ring: try_copied(&parent)?,
            parent,
        })
    }

    /// Merges union `gone` into union `keep` (both roots).
    fn join(&mut self, keep: usize, gone: usize) {
        self.parent[gone] = keep as u32;
        // Swapping two rings' links at one member each makes one ring.
        self.ring.swap(keep, gone);
    }

    /// The union (the root) that node `q` is in now.
    fn root(&mut self, q: usize) -> usize {
        find(&mut self.parent, q)
    }

    /// Calls `touch` with the union (the root) of each contact of union
    /// `r`'s members (`r` itself where two members touch).
    fn for_each_contact(&mut self, contacts: &Contacts, r: usize, mut touch: impl FnMut(usize)) {
        let mut member = r;
        loop {
            for &q in contacts.of_node(member) {
                touch(self.root(q as usize));
            }
            member = self.ring[member] as usize;
            if member == r {
                return;
            }
        }
    }

    /// The union touching union `r` (a root of fewer than `below` pixels,
    /// which all its members had too) whose value is nearest to `r`'s, the
    /// lowest number on ties; `None` if none does.
    fn nearest_neighbour(&mut self, contacts: &Contacts, tally: &Tally, r: usize) -> Option<usize> {
        let mut nearest = Nearest::to(tally, r);
        self.for_each_contact(contacts, r, |q| nearest.offer(tally, q));
        nearest.found()
    }
}

/// Of the unions offered, the one whose value is nearest to union `r`'s,
/// the lowest number on ties, `r` itself aside.
struct Nearest<'a> {
    r: usize,
    value: &'a [f64],
    /// The nearest so far, as (squared distance, number); at first beyond
    /// any.
    nearest: (i64, usize),
}

impl<'a> Nearest<'a> {
    fn to(tally: &'a Tally, r: usize) -> Self {
        Nearest {
            r,
            value: tally.value(r),
            nearest: (i64::MAX, usize::MAX),
        }
    }

    #[inline(always)]
    fn offer(&mut self, tally: &Tally, q: usize) {
        let d2 = total_order(squared_distance(self.value, tally.value(q)));
        if (d2, q) < self.nearest && q != self.r {
            self.nearest = (d2, q);
        }
    }

    fn found(self) -> Option<usize> {
        (self.nearest.1 != usize::MAX).then_some(self.nearest.1)
    }
}

/// An integer that orders as `x` does in `f64::total_cmp`.
fn total_order(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// The regions being merged, as nodes: first the regions themselves, then,
/// after each compaction, the unions of regions at that time, numbered in
/// the order of their roots (the lowest region number among their members),
/// which keeps every comparison of numbers as it was.
struct Nodes {
    tally: Tally,
    unions: Unions,
    /// Each region's node (which may have merged into another since).
    node_of_region: Vec<u32>,
}

impl Nodes {
    /// The regions, each its own node.
    fn of(tally: Tally) -> Result<Self> {
        let count = tally.sizes.len();
        let mut node_of_region = try_reserved(count)?;
        node_of_region.extend(0..count as u32);
        Ok(Nodes {
            tally,
            unions: Unions::new(count)?,
            node_of_region,
        })
    }

    /// Merges every region of one pixel, the first size to merge, in
    /// raster order, which is the order of their numbers: before any other
    /// merge, their contacts are the regions of their pixels' neighbours.
    /// Returns how many merged; `merges` counts them too, for the stop
    /// checks.
    fn merge_single_pixels(
        &mut self,
        grid: &Grid,
        of_pixel: &[u32],
        merges: &mut usize,
        task: &Task,
    ) -> Result<usize> {
        let [n0, n1, n2] = grid.shape();
        let [s0, s1, _] = grid.strides();
        let mut merged = 0;
        for a in 0..n0 {
            for b in 0..n1 {
                for c in 0..n2 {
                    let i = a * s0 + b * s1 + c;
                    let r = of_pixel[i] as usize;
                    if self.tally.sizes[r] != 1 || self.unions.parent[r] as usize != r {
                        continue; // larger, or merged into a region before
                    }
                    *merges += 1;
                    if (*merges).is_multiple_of(CHECK_EVERY) {
                        task.check()?;
                    }
                    let mut nearest = Nearest::to(&self.tally, r);
                    for (inside, j) in [
                        (c > 0, i.wrapping_sub(1)),
                        (c + 1 < n2, i + 1),
                        (b > 0, i.wrapping_sub(s1)),
                        (b + 1 < n1, i + s1),
                        (a > 0, i.wrapping_sub(s0)),
                        (a + 1 < n0, i + s0),
                    ] {
                        if inside {
                            nearest.offer(&self.tally, self.unions.root(of_pixel[j] as usize));
                        }
                    }
                    if let Some(into) = nearest.found() {
                        self.merge(r, into);
                        merged += 1;
                    }
                }
            }
        }
        Ok(merged)
    }

    /// Merges unions `r` and `into`; returns the union.
    fn merge(&mut self, r: usize, into: usize) -> usize {
        // The union takes the lower number. Numbers follow the raster order
        // of the regions' first pixels, so this is the number renumbering
        // after every merge would give it (docs/algorithm.md §13.4), and
        // ties go as they would.
        let (keep, gone) = (r.min(into), r.max(into));
        self.tally.absorb(keep, gone);
        self.unions.join(keep, gone);
        keep
    }

    /// Each union as one node, numbered in the order of their roots, after
    /// `merged` nodes merged away; and each former node's new number.
    fn compacted(mut self, merged: usize) -> Result<(Self, Vec<u32>)> {
        let count = self.count();
        // A node's parent is lower (the union takes the lower number), so
        // numbered first.
        let mut number = try_reserved(count)?;
        let mut roots = try_reserved(count - merged)?;
        for (r, &parent) in self.unions.parent.iter().enumerate() {
            if parent as usize == r {
                number.push(roots.len() as u32);
                roots.push(r as u32);
            } else {
                number.push(number[parent as usize]);
            }
        }
        for node in &mut self.node_of_region {
            *node = number[*node as usize];
        }
        let nodes = Nodes {
            tally: self.tally.gathered(&roots)?,
            unions: Unions::new(roots.len())?,
            node_of_region: self.node_of_region,
        };
        Ok((nodes, number))
    }

    /// How many nodes there are, merged or not.
    fn count(&self) -> usize {
        self.tally.sizes.len()
    }

    /// The regions after merging, numbered in raster order of first pixels,
    /// and their values.
    fn renumbered(mut self, mut of_pixel: Vec<u32>, task: &Task) -> Result<Merged> {
        for node in &mut self.node_of_region {
            *node = self.unions.root(*node as usize) as u32;
        }
        let mut number = try_filled(self.count(), u32::MAX)?;
        let mut values = Vec::new();
        let mut count = 0u32;
        for (i, r) in of_pixel.iter_mut().enumerate() {
            if i % (CHECK_EVERY << 4) == 0 {
                task.check()?;
            }
            let node = self.node_of_region[*r as usize] as usize;
            if number[node] == u32::MAX {
                number[node] = count;
                count += 1;
                values.extend_from_slice(self.tally.value(node));
            }
            *r = number[node];
        }
        Ok(Merged {
            regions: Regions {
                of_pixel,
                count: count as usize,
            },
            values,
        })
    }
}

/// Merging in progress: the nodes, the contacts of those of fewer than
/// `below` pixels, and those by size, the sizes not yet merged.
struct Merging {
    nodes: Nodes,
    contacts: Contacts,
    /// Nodes by size, below `below`: each bucket in increasing number once
    /// sorted. A merge makes a node larger than the size being merged, so a
    /// bucket is complete once it is reached. Entries of nodes merged away,
    /// or grown since, are stale.
    by_size: Vec<Vec<u32>>,
    below: usize,
    /// Nodes merged away since the nodes were numbered.
    merged: usize,
}

impl Merging {
    /// Merging of `nodes` with these `contacts`, from size `first` on.
    fn new(nodes: Nodes, contacts: Contacts, below: usize, first: usize) -> Self {
        let mut by_size: Vec<Vec<u32>> = vec![Vec::new(); below];
        for (r, &size) in nodes.tally.sizes.iter().enumerate() {
            if (first..below).contains(&size) {
                by_size[size].push(r as u32);
            }
        }
        Merging {
            nodes,
            contacts,
            by_size,
            below,
            merged: 0,
        }
    }

    /// Merges every node of `size` pixels, the lowest number first, each
    /// into its neighbour of nearest value. `merges` counts them all, for
    /// the stop checks.
    fn merge_size(&mut self, size: usize, merges: &mut usize, task: &Task) -> Result<()> {
        let mut bucket = std::mem::take(&mut self.by_size[size]);
        bucket.sort_unstable();
        let nodes = &mut self.nodes;
        for r in bucket {
            let r = r as usize;
            if nodes.unions.parent[r] as usize != r || nodes.tally.sizes[r] != size {
                continue; // stale
            }
            *merges += 1;
            if (*merges).is_multiple_of(CHECK_EVERY) {
                task.check()?;
            }
            let nearest = nodes
                .unions
                .nearest_neighbour(&self.contacts, &nodes.tally, r);
            let Some(into) = nearest else {
                continue; // the only region
            };
            let keep = nodes.merge(r, into);
            self.merged += 1;
            let grown = nodes.tally.sizes[keep];
            if grown < self.below {
                self.by_size[grown].push(keep as u32);
            }
        }
        Ok(())
    }

    /// Whether most nodes have merged away: their memory, still read
    /// between the others', and their contacts, walked again with their
    /// unions', then cost more than compacting.
    fn mostly_merged(&self) -> bool {
        2 * self.merged >= self.nodes.count()
    }

    /// The same merging, sizes up to `done` merged, with each union as one
    /// node and its contacts resolved.
    fn compacted(self, done: usize, task: &Task) -> Result<Self> {
        let (nodes, number) = self.nodes.compacted(self.merged)?;
        let contacts = Contacts::listed(&UnionContacts {
            contacts: &self.contacts,
            number: &number,
            sizes: &nodes.tally.sizes,
            below: self.below,
            task,
        })?;
        Ok(Merging::new(nodes, contacts, self.below, done + 1))
    }
}

/// Merges the regions of fewer than `min_size` pixels (docs/algorithm.md
/// §13.4) and gives every final region its value. The regions are numbered
/// in raster order of their first pixels, as
/// [`find_regions`](super::regions::find_regions) numbers them.
///
/// ```
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::search::grid::Grid;
/// use fastmeanshift::segmentation::merging::merge_small_regions;
/// use fastmeanshift::segmentation::regions::Regions;
/// use fastmeanshift::Workers;
///
/// // Three regions in a row of five pixels; the middle one, a single
/// // pixel, is nearer in value to the last.
/// let grid = Grid::new(&[1, 5], &[1.0, 1.0])?;
/// let regions = Regions { of_pixel: vec![0, 0, 1, 2, 2], count: 3 };
/// let modes = [0.0, 0.0, 6.0, 8.0, 8.0];
/// let merged = Workers::new(1)?.run(0, &never_stop, |task| {
///     merge_small_regions(&grid, regions, &modes, 1, 2, task)
/// })?;
/// assert_eq!(merged.regions.of_pixel, [0, 0, 1, 1, 1]);
/// assert_eq!(merged.values, [0.0, 22.0 / 3.0]);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub fn merge_small_regions(
    grid: &Grid,
    regions: Regions,
    modes: &[f64],
    channels: usize,
    min_size: usize,
    task: &Task,
) -> Result<Merged> {
    let mut nodes = Nodes::of(Tally::of(&regions, modes, channels)?)?;
    if min_size > 1 {
        let below = min_size.min(modes.len() / channels.max(1) + 1);
        let mut merges = 0;
        let merged = nodes.merge_single_pixels(grid, &regions.of_pixel, &mut merges, task)?;
        if below > 2 {
            // Regions of no pixels never merge (they touch none), and those
            // of one have: the unions as nodes, their contacts from the
            // pixels.
            let (unions, _) = nodes.compacted(merged)?;
            let contacts = Contacts::listed(&PixelContacts {
                grid,
                of_pixel: &regions.of_pixel,
                node_of_region: &unions.node_of_region,
                sizes: &unions.tally.sizes,
                below,
                task,
            })?;
            let mut merging = Merging::new(unions, contacts, below, 2);
            for size in 2..below {
                merging.merge_size(size, &mut merges, task)?;
                if merging.mostly_merged() {
                    merging = merging.compacted(size, task)?;
                }
            }
            nodes = merging.nodes;
        }
    }
    nodes.renumbered(regions.of_pixel, task)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::{never_stop, Workers};
    use crate::testing::noise;

    fn merge(shape: &[usize], of_pixel: Vec<u32>, modes: &[f64], min_size: usize) -> Merged {
        let grid = Grid::new(shape, &vec![1.0; shape.len()]).unwrap();
        let count = *of_pixel.iter().max().unwrap() as usize + 1;
        let regions = Regions { of_pixel, count };
        Workers::new(1)
            .unwrap()
            .run(0, &never_stop, |task| {
                merge_small_regions(&grid, regions, modes, 1, min_size, task)
            })
            .unwrap()
    }

    #[test]
    fn the_smallest_merges_first_and_ties_go_to_the_lowest_number() {
        // Regions 0 (2 px, value 0), 1 (1 px, 2), 2 (1 px, 4), 3 (2 px, 6):
        // region 1 goes first (lowest number among the smallest), to 0 and 2
        // at equal distance: to 0. Then 2 (1 px) goes to 3 (distance 2) not
        // to the merged 0 (value 2/3).
        let got = merge(
            &[6],
            vec![0, 0, 1, 2, 3, 3],
            &[0.0, 0.0, 2.0, 4.0, 6.0, 6.0],
            2,
        );
        assert_eq!(got.regions.of_pixel, [0, 0, 0, 1, 1, 1]);
        assert_eq!(got.values, [2.0 / 3.0, 16.0 / 3.0]);
    }

    /// Each region's pixel count and value, from scratch.
    fn sizes_and_values(labels: &[u32], modes: &[f64], channels: usize) -> (Vec<usize>, Vec<f64>) {
        let count = labels.iter().max().map_or(0, |&r| r as usize + 1);
        let mut sizes = vec![0; count];
        let mut sums = vec![ExactSum::default(); count * channels];
        for (i, &r) in labels.iter().enumerate() {
            sizes[r as usize] += 1;
            for j in 0..channels {
                sums[r as usize * channels + j].add(modes[i * channels + j]);
            }
        }
        let values = (0..count * channels)
            .map(|k| sums[k].value() / sizes[k / channels] as f64)
            .collect();
        (sizes, values)
    }

    /// `labels` renumbered in raster order of first pixels.
    fn renumbered(labels: &[u32]) -> Vec<u32> {
        let mut number = vec![u32::MAX; labels.iter().max().map_or(0, |&r| r as usize + 1)];
        let mut count = 0;
        labels
            .iter()
            .map(|&r| {
                if number[r as usize] == u32::MAX {
                    number[r as usize] = count;
                    count += 1;
                }
                number[r as usize]
            })
            .collect()
    }

    /// The contract (docs/algorithm.md §13.4) taken literally: before each
    /// merge, every region's size, value and neighbours found afresh from
    /// the pixels, and the regions renumbered after it.
    fn merge_literally(
        grid: &Grid,
        of_pixel: &[u32],
        modes: &[f64],
        channels: usize,
        min_size: usize,
    ) -> (Vec<u32>, Vec<f64>) {
        let mut labels = of_pixel.to_vec();
        loop {
            let (sizes, values) = sizes_and_values(&labels, modes, channels);
            let smallest = (0..sizes.len())
                .filter(|&r| sizes[r] < min_size)
                .min_by_key(|&r| (sizes[r], r));
            let Some(small) = smallest.filter(|_| sizes.len() > 1) else {
                return (labels, values);
            };
            let mut around = Vec::new();
            grid.for_each_neighbour_pair(
                |_| Ok(()),
                |a, b| {
                    for (from, to) in [(labels[a], labels[b]), (labels[b], labels[a])] {
                        if from as usize == small && to as usize != small {
                            around.push(to as usize);
                        }
                    }
                    Ok(())
                },
            )
            .unwrap();
            let value = |r: usize| &values[r * channels..][..channels];
            let d2 = |q: usize| {
                let mut d2 = 0.0;
                for (x, y) in value(small).iter().zip(value(q)) {
                    d2 += (x - y) * (x - y);
                }
                d2
            };
            let into = around
                .into_iter()
                .min_by(|&a, &b| d2(a).total_cmp(&d2(b)).then(a.cmp(&b)))
                .unwrap();
            for r in labels.iter_mut() {
                if *r as usize == small {
                    *r = into as u32;
                }
            }
            labels = renumbered(&labels);
        }
    }

    /// A region number per pixel of `shape`: runs and blobs of a few
    /// numbers, some regions scattered in pieces, numbered by first pixel.
    fn random_regions(seed: u64, shape: &[usize]) -> Vec<u32> {
        let grid = Grid::new(shape, &vec![1.0; shape.len()]).unwrap();
        let u = noise(seed, 2 * grid.len());
        let mut labels: Vec<u32> = (0..grid.len()).map(|i| (u[i] * 12.0) as u32).collect();
        // Copying a neighbour's number grows blobs.
        grid.for_each_neighbour_pair(
            |_| Ok(()),
            |a, b| {
                if u[grid.len() + b] < 0.4 {
                    labels[b] = labels[a];
                }
                Ok(())
            },
        )
        .unwrap();
        renumbered(&labels)
    }

    /// `channels` values per pixel: few distinct values (ties in distance),
    /// thirds (values with every bit set), or values spread over hundreds of
    /// binary orders of magnitude.
    fn random_modes(seed: u64, pixels: usize, channels: usize) -> Vec<f64> {
        let u = noise(seed, pixels * channels);
        u.iter()
            .enumerate()
            .map(|(k, &x)| match seed % 3 {
                0 => (x * 4.0).floor(),
                1 => (x * 768.0).floor() / 3.0,
                _ => (x - 0.5) * 2f64.powi((k % 5) as i32 * 150 - 300),
            })
            .collect()
    }

    #[test]
    fn merges_as_the_contract_says_taken_literally() {
        let shapes: [&[usize]; 5] = [&[1], &[9], &[5, 7], &[12, 11], &[3, 4, 5]];
        for seed in 0..300u64 {
            let shape = shapes[seed as usize % shapes.len()];
            let channels = 1 + (seed / 5 % 3) as usize;
            let min_size = (seed / 15 % 14) as usize;
            let grid = Grid::new(shape, &vec![1.0; shape.len()]).unwrap();
            let of_pixel = random_regions(seed, shape);
            let modes = random_modes(seed, grid.len(), channels);
            let (labels, values) = merge_literally(&grid, &of_pixel, &modes, channels, min_size);
            let count = *of_pixel.iter().max().unwrap() as usize + 1;
            let regions = Regions { of_pixel, count };
            let got = Workers::new(1)
                .unwrap()
                .run(0, &never_stop, |task| {
                    merge_small_regions(&grid, regions, &modes, channels, min_size, task)
                })
                .unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(got.regions.of_pixel, labels, "seed {seed}");
            assert_eq!(bits(&got.values), bits(&values), "seed {seed}");
        }
    }

    #[test]
    fn min_size_beyond_the_image_leaves_one_region() {
        let got = merge(&[2, 2], vec![0, 1, 2, 3], &[0.0, 1.0, 2.0, 3.0], 100);
        assert_eq!(got.regions.of_pixel, [0; 4]);
        assert_eq!(got.values, [1.5]);
        let untouched = merge(&[2, 2], vec![0, 1, 2, 3], &[0.0, 1.0, 2.0, 3.0], 1);
        assert_eq!(untouched.regions.count, 4);
    }
}
