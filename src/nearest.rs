//! Nearest-centre search on kiddo, with dimension dispatch.
//!
//! kiddo fixes the dimension at compile time, so the runtime dimension is
//! dispatched to a monomorphised tree for 1 to 16 dimensions (scikit-learn
//! itself leaves KD-trees for brute force above 15); above that, an exact scan
//! of the centres.

use std::num::NonZero;

use kiddo::immutable::float::kdtree::ImmutableKdTree;
use kiddo::SquaredEuclidean;
use rayon::prelude::*;

use crate::error::{try_filled, Result};
use crate::parallel::{StopCheck, Workers};
use crate::points::{squared_distance, Coord, Points};

/// The nearest centre of a point and its squared distance.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Nearest {
    pub centre: u32,
    pub distance2: f64,
}

/// A search structure over a fixed set of centres.
pub trait NearestCentre: Sync {
    /// The nearest centre to `q`; among equally near ones, the lowest index.
    fn nearest(&self, q: &[f64]) -> Nearest;
}

struct KiddoCentres<'a, C, const K: usize> {
    tree: ImmutableKdTree<f64, u32, K, 32>,
    /// kiddo's search starts at a distance of `f64::MAX`, so it cannot find a
    /// centre at least that far (an overflowed squared distance): a scan does.
    far: ScannedCentres<'a, C>,
}

impl<C: Coord, const K: usize> NearestCentre for KiddoCentres<'_, C, K> {
    fn nearest(&self, q: &[f64]) -> Nearest {
        let mut query = [0.0; K];
        query.copy_from_slice(q);
        let best = self.tree.nearest_one::<SquaredEuclidean>(&query);
        if best.distance >= f64::MAX {
            return self.far.nearest(q);
        }
        // kiddo's leaf distance is the same ordered sum as `squared_distance`,
        // so exact ties are exact here too; "best" orders by item, the index.
        let lowest = self
            .tree
            .best_n_within::<SquaredEuclidean>(&query, best.distance, NonZero::<usize>::MIN)
            .next()
            .map_or(best.item, |b| b.item);
        Nearest {
            centre: lowest,
            distance2: best.distance,
        }
    }
}

/// An exact scan of the caller's centres (read in place: a fit can have as
/// many centres as seeds, so they are not copied).
struct ScannedCentres<'a, C> {
    centres: Points<'a, C>,
}

impl<C: Coord> NearestCentre for ScannedCentres<'_, C> {
    fn nearest(&self, q: &[f64]) -> Nearest {
        let mut best = Nearest {
            centre: 0,
            distance2: f64::INFINITY,
        };
        for c in 0..self.centres.len() {
            let d2 = squared_distance(q, self.centres.row(c));
            if d2 < best.distance2 || c == 0 {
                best = Nearest {
                    centre: c as u32,
                    distance2: d2,
                };
            }
        }
        best
    }
}

/// kiddo's tree over the centres, which keeps its own copy of them. A fit
/// can have about as many centres as seeds, so float64 centres are handed to
/// it in place; float32 ones are widened into rows freed once it is built.
fn kiddo_centres<'a, C: Coord, const K: usize>(
    centres: Points<'a, C>,
) -> Box<dyn NearestCentre + 'a> {
    let widened: Vec<[f64; K]>;
    let rows = match C::as_f64s(centres.as_slice()) {
        Some(values) => as_arrays::<K>(values),
        None => {
            widened = (0..centres.len())
                .map(|c| {
                    let mut row = [0.0; K];
                    for (x, &v) in row.iter_mut().zip(centres.row(c)) {
                        *x = v.to_f64();
                    }
                    row
                })
                .collect();
            &widened
        }
    };
    Box::new(KiddoCentres {
        tree: ImmutableKdTree::new_from_slice(rows),
        far: ScannedCentres { centres },
    })
}

/// Row-major values, `K` a row, as rows, without a copy.
fn as_arrays<const K: usize>(values: &[f64]) -> &[[f64; K]] {
    assert_eq!(values.len() % K, 0, "whole rows of {K}");
    // SAFETY: `[f64; K]` has the size of `K` f64s, their alignment and no
    // padding, so `len / K` rows cover exactly the memory of `values`, which
    // the result borrows. (`<[f64]>::as_chunks` does this safely from Rust
    // 1.88; the crate supports 1.85.)
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<[f64; K]>(), values.len() / K) }
}

/// The search structure for `centres` (row-major, at least one row), which
/// it borrows.
pub fn index_centres<'a, C: Coord>(centres: Points<'a, C>) -> Box<dyn NearestCentre + 'a> {
    macro_rules! dispatch {
        ($($k:literal)*) => {
            match centres.dim() {
                $($k => kiddo_centres::<C, $k>(centres),)*
                _ => Box::new(ScannedCentres { centres }),
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// What `label` makes of every point's nearest centre, in parallel, written
/// straight into the result (no per-point intermediate).
pub fn nearest_centres<T: Coord, L: Copy + Default + Send>(
    centres: &dyn NearestCentre,
    points: Points<T>,
    workers: &Workers,
    stop: StopCheck<'_>,
    label: impl Fn(Nearest) -> L + Sync,
) -> Result<Vec<L>> {
    let dim = points.dim();
    let mut out = try_filled(points.len(), L::default())?;
    workers.in_chunks(points.len(), 4096, stop, |range| {
        out[range.clone()].par_iter_mut().enumerate().for_each_init(
            || vec![0.0; dim],
            |q, (k, slot)| {
                for (x, &p) in q.iter_mut().zip(points.row(range.start + k)) {
                    *x = p.to_f64();
                }
                *slot = label(centres.nearest(q));
            },
        );
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::never_stop;
    use crate::testing::noise;

    fn brute(centres: &[f64], dim: usize, q: &[f64]) -> Nearest {
        ScannedCentres {
            centres: Points::new(centres, dim).unwrap(),
        }
        .nearest(q)
    }

    #[test]
    fn kiddo_agrees_with_the_scan_in_every_dispatched_dimension() {
        for dim in 1..=18 {
            let centres = noise(dim as u64, 40 * dim);
            let index = index_centres(Points::new(&centres, dim).unwrap());
            let queries = noise(100 + dim as u64, 300 * dim);
            for q in queries.chunks_exact(dim) {
                assert_eq!(index.nearest(q), brute(&centres, dim, q), "dim {dim}");
            }
        }
    }

    #[test]
    fn ties_go_to_the_lowest_index() {
        // Point 1.0 is 1 away from centres 2.0 (index 0) and 0.0 (index 1).
        let centres = [2.0, 0.0, 5.0];
        let index = index_centres(Points::new(&centres, 1).unwrap());
        assert_eq!(
            index.nearest(&[1.0]),
            Nearest {
                centre: 0,
                distance2: 1.0
            }
        );
        let wide = [1.0; 20]
            .iter()
            .chain(&[-1.0; 20])
            .copied()
            .collect::<Vec<f64>>();
        let index = index_centres(Points::new(&wide, 20).unwrap());
        assert_eq!(index.nearest(&[0.0; 20]).centre, 0);
    }

    #[test]
    fn every_point_gets_its_centre() {
        let centres = [0.0f32, 0.0, 10.0, 10.0];
        let index = index_centres(Points::new(&centres, 2).unwrap());
        let points = [1.0f32, 1.0, 9.0, 9.0, 6.0, 6.0];
        let got = nearest_centres(
            index.as_ref(),
            Points::new(&points, 2).unwrap(),
            &Workers::new(2).unwrap(),
            &never_stop,
            |n| n,
        )
        .unwrap();
        assert_eq!(
            got.iter().map(|n| n.centre).collect::<Vec<_>>(),
            vec![0, 1, 1]
        );
        assert_eq!(got[2].distance2, 32.0);
    }
}
