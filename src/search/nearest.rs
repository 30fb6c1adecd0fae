//! Nearest-centre search on kiddo, with dimension dispatch (docs/algorithm.md §6.5).
//!
//! kiddo fixes the dimension at compile time, so the runtime dimension is
//! dispatched to a monomorphised tree for 1 to 16 dimensions (scikit-learn
//! itself leaves KD-trees for brute force above 15); above that, an exact scan
//! of the centres. The index keeps one copy of the centres, as `f64` rows
//! (kiddo keeps one more of its own).

use std::num::NonZero;
use std::sync::mpsc::{self, RecvTimeoutError};

use kiddo::immutable::float::kdtree::ImmutableKdTree;
use kiddo::SquaredEuclidean;
use rayon::prelude::*;

use crate::error::{try_filled, Error, Result};
use crate::exact::distance::squared_distance;
use crate::parallel::{Task, POLL_INTERVAL};
use crate::points::{Coord, Points};

/// The nearest centre of a point and its squared distance.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Nearest {
    /// The centre's index (the lowest of equally near ones).
    pub centre: u32,
    /// The squared distance to it.
    pub distance2: f64,
}

/// A search structure over a fixed set of centres.
pub trait NearestCentre: Send + Sync {
    /// The nearest centre to `q`; among equally near ones, the lowest index.
    fn nearest(&self, q: &[f64]) -> Nearest;
}

struct KiddoCentres<const K: usize> {
    tree: ImmutableKdTree<f64, u32, K, 32>,
    /// The centres as float64 rows: kiddo was built from them, and keeps a
    /// copy of its own. Its search starts at a distance of `f64::MAX`, so it
    /// cannot find a centre at least that far (an overflowed squared
    /// distance): a scan of these rows does.
    rows: Vec<[f64; K]>,
}

impl<const K: usize> NearestCentre for KiddoCentres<K> {
    fn nearest(&self, q: &[f64]) -> Nearest {
        let mut query = [0.0; K];
        query.copy_from_slice(q);
        let best = self.tree.nearest_one::<SquaredEuclidean>(&query);
        if best.distance >= f64::MAX {
            return scan(self.rows.as_flattened(), K, q);
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

struct ScannedCentres {
    centres: Vec<f64>,
    dim: usize,
}

impl NearestCentre for ScannedCentres {
    fn nearest(&self, q: &[f64]) -> Nearest {
        scan(&self.centres, self.dim, q)
    }
}

/// Few centres of `D` coordinates, scanned: with the dimension known when
/// compiled, a distance is a few straight-line operations, where the
/// general scan loops over each row's coordinates (200,000 2-D points to
/// 3 centres: labelled in 1.1 instead of 2.9 ms on one thread).
struct ScannedRows<const D: usize> {
    rows: Vec<[f64; D]>,
}

impl<const D: usize> NearestCentre for ScannedRows<D> {
    fn nearest(&self, q: &[f64]) -> Nearest {
        scan(self.rows.as_flattened(), D, q)
    }
}

/// The nearest of the `centres` (row-major, `dim` a row) to `q`, by an
/// exact scan; the lowest index among equally near ones.
#[inline(always)]
fn scan(centres: &[f64], dim: usize, q: &[f64]) -> Nearest {
    let mut best = Nearest {
        centre: 0,
        distance2: f64::INFINITY,
    };
    for (c, row) in centres.chunks_exact(dim).enumerate() {
        let d2 = squared_distance(q, row);
        if d2 < best.distance2 || c == 0 {
            best = Nearest {
                centre: c as u32,
                distance2: d2,
            };
        }
    }
    best
}

/// The centres as rows of `K` float64 values, the one copy of them the
/// index keeps (a fit can have about as many centres as seeds).
fn rows_of<C: Coord, const K: usize>(centres: Points<C>) -> Result<Vec<[f64; K]>> {
    let mut rows = try_filled(centres.len(), [0.0; K])?;
    for (row, centre) in rows.iter_mut().zip(centres.as_slice().chunks_exact(K)) {
        for (x, &c) in row.iter_mut().zip(centre) {
            *x = c.to_f64();
        }
    }
    Ok(rows)
}

fn kiddo_centres<const K: usize>(rows: Vec<[f64; K]>) -> Box<dyn NearestCentre> {
    Box::new(KiddoCentres {
        tree: ImmutableKdTree::new_from_slice(&rows),
        rows,
    })
}

/// From this many centres on, kiddo's tree is built on a thread of its own
/// (below, the build takes a few tens of milliseconds).
const BUILD_APART: usize = 1 << 17;

/// The search structure for `centres` (row-major, at least one row); given
/// up with [`Error::Interrupted`] within [`POLL_INTERVAL`] once `task` is
/// cancelled.
pub fn index_centres<C: Coord>(centres: Points<C>, task: &Task) -> Result<Box<dyn NearestCentre>> {
    let scanned = |centres: Points<C>| {
        let dim = centres.dim();
        let rows = centres.as_slice().iter().map(|x| x.to_f64()).collect();
        build(
            rows,
            move |centres| Box::new(ScannedCentres { centres, dim }),
            task,
        )
    };
    let few = centres.len() <= SCANNED_CENTRES;
    macro_rules! dispatch {
        ($($k:literal)*) => {
            match centres.dim() {
                $($k if few => Ok(Box::new(ScannedRows { rows: rows_of::<C, $k>(centres)? })),)*
                $($k => build(rows_of::<C, $k>(centres)?, kiddo_centres::<$k>, task),)*
                _ => scanned(centres),
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// Up to this many centres (kiddo's bucket size: its tree would be one
/// leaf) are scanned: kiddo would scan them too, and then again for ties.
const SCANNED_CENTRES: usize = 32;

/// The index `make` builds from `rows` (a vector of rows), on a thread of
/// its own for many rows.
fn build<R: Send + 'static>(
    rows: Vec<R>,
    make: impl FnOnce(Vec<R>) -> Box<dyn NearestCentre> + Send + 'static,
    task: &Task,
) -> Result<Box<dyn NearestCentre>> {
    if rows.len() < BUILD_APART {
        return Ok(make(rows));
    }
    // kiddo's build cannot be interrupted, and takes seconds for millions of
    // centres: it runs on a thread of its own, which a cancelled task leaves
    // behind to finish and drop its tree, so that Ctrl-C need not wait.
    task.check()?;
    let (built, index) = mpsc::channel();
    let builder = std::thread::Builder::new()
        .name("fastmeanshift-centres".into())
        .spawn(move || built.send(make(rows)).ok())
        .map_err(|e| Error::ThreadPool(e.to_string()))?;
    loop {
        match index.recv_timeout(POLL_INTERVAL) {
            Ok(index) => return Ok(index),
            Err(RecvTimeoutError::Timeout) => task.check()?,
            // Only a panic ends the builder without a result: it is raised
            // here, as if the build had run here.
            Err(RecvTimeoutError::Disconnected) => {
                let panic = builder
                    .join()
                    .err()
                    .unwrap_or_else(|| Box::new("the centres' index was not built"));
                std::panic::resume_unwind(panic)
            }
        }
    }
}

/// Points labelled between two progress counts.
const BLOCK: usize = 1 << 10;

/// What `label` makes of every point's nearest centre, written to `out` (one
/// slot per point), in parallel in the pool `task` runs in; given up with
/// [`Error::Interrupted`] between two queries once `task` is cancelled.
/// Progress counts points.
pub fn nearest_centres<T: Coord, L: Send>(
    centres: &dyn NearestCentre,
    points: Points<T>,
    task: &Task,
    label: impl Fn(Nearest) -> L + Sync,
    out: &mut [L],
) -> Result<()> {
    let dim = points.dim();
    out.par_chunks_mut(BLOCK).enumerate().try_for_each_init(
        || vec![0.0; dim],
        |q, (b, block)| {
            for (k, slot) in block.iter_mut().enumerate() {
                // With many centres in many dimensions one query scans them
                // all, so a block of queries could take long.
                task.check()?;
                for (x, &p) in q.iter_mut().zip(points.row(b * BLOCK + k)) {
                    *x = p.to_f64();
                }
                *slot = label(centres.nearest(q));
            }
            task.advance(block.len());
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::tests::run_cancelled;
    use crate::parallel::{never_stop, Workers};
    use crate::testing::noise;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn brute(centres: &[f64], dim: usize, q: &[f64]) -> Nearest {
        scan(centres, dim, q)
    }

    #[test]
    fn every_index_agrees_with_the_scan_in_every_dimension() {
        // 5 centres: scanned rows of a fixed dimension up to 16, the general
        // scan beyond; 40: kiddo up to 16.
        for count in [5, 40] {
            for dim in 1..=18 {
                let centres = noise(dim as u64, count * dim);
                let index =
                    index_centres(Points::new(&centres, dim).unwrap(), &Task::uncancelled())
                        .unwrap();
                let queries = noise(100 + dim as u64, 300 * dim);
                for q in queries.chunks_exact(dim) {
                    let expected = brute(&centres, dim, q);
                    assert_eq!(index.nearest(q), expected, "{count} centres, dim {dim}");
                }
            }
        }
    }

    #[test]
    fn ties_go_to_the_lowest_index() {
        // Point 1.0 is 1 away from centres 2.0 (index 0) and 0.0 (index 1).
        let centres = [2.0, 0.0, 5.0];
        let index = index_centres(Points::new(&centres, 1).unwrap(), &Task::uncancelled()).unwrap();
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
        let index = index_centres(Points::new(&wide, 20).unwrap(), &Task::uncancelled()).unwrap();
        assert_eq!(index.nearest(&[0.0; 20]).centre, 0);
    }

    #[test]
    fn every_point_gets_its_centre() {
        let centres = [0.0f32, 0.0, 10.0, 10.0];
        let index = index_centres(Points::new(&centres, 2).unwrap(), &Task::uncancelled()).unwrap();
        let points = [1.0f32, 1.0, 9.0, 9.0, 6.0, 6.0];
        let mut got = [Nearest::default(); 3];
        Workers::new(2)
            .unwrap()
            .run(3, &never_stop, |task| {
                let points = Points::new(&points, 2).unwrap();
                nearest_centres(index.as_ref(), points, task, |n| n, &mut got)
            })
            .unwrap();
        assert_eq!(
            got.iter().map(|n| n.centre).collect::<Vec<_>>(),
            vec![0, 1, 1]
        );
        assert_eq!(got[2].distance2, 32.0);
    }

    #[test]
    fn many_centres_are_indexed_apart_and_the_wait_can_be_abandoned() {
        let dim = 2;
        let centres = noise(21, BUILD_APART * dim);
        let centres = Points::new(&centres, dim).unwrap();
        let index = index_centres(centres, &Task::uncancelled()).unwrap();
        let q = [0.25, 0.75];
        assert_eq!(index.nearest(&q), brute(centres.as_slice(), dim, &q));
        let mut got = None;
        let run = run_cancelled(|task| {
            got = Some(index_centres(centres, task).map(|_| ()));
            Ok(())
        });
        assert_eq!(run, Err(Error::Interrupted));
        assert_eq!(got, Some(Err(Error::Interrupted)));
    }

    #[test]
    fn a_cancelled_task_labels_nothing() {
        let centres = [0.0, 10.0];
        let centres = Points::new(&centres, 1).unwrap();
        let index = index_centres(centres, &Task::uncancelled()).unwrap();
        let points = [1.0; 5000];
        let labelled = AtomicUsize::new(0);
        let mut out = [u32::MAX; 5000];
        let mut got = None;
        let run = run_cancelled(|task| {
            let label = |n: Nearest| {
                labelled.fetch_add(1, Ordering::Relaxed);
                n.centre
            };
            let points = Points::new(&points, 1).unwrap();
            got = Some(nearest_centres(
                index.as_ref(),
                points,
                task,
                label,
                &mut out,
            ));
            Ok(())
        });
        assert_eq!(run, Err(Error::Interrupted));
        assert_eq!(got, Some(Err(Error::Interrupted)));
        assert_eq!(labelled.into_inner(), 0);
    }
}
