//! Weighing a neighbourhood with a kernel and weights (docs/algorithm.md
//! §10.3, §10.4), the same for a fit's steps and for a chunk's partial sums
//! (§11): the weighted sums of every point around a position, each with its
//! term weight `w k(u)`.

use super::Weighing;
use crate::error::Result;
use crate::exact::summation::CoordinateSums;
use crate::exact::weighted::{LaneSums, WeightedSums};
use crate::options::Kernel;
use crate::parallel::Task;
use crate::points::Coord;
use crate::search::ball::{BallSearch, OrderedRows, WeightedTotals};

/// What weighing a tree's neighbourhoods reads besides the tree, made once
/// per tree: with the flat kernel and weights, weighted node totals (whole
/// nodes are added through them); with the other kernels, the points in
/// tree order (every point of a support is weighed, eight at a time), or
/// nothing where those batches' exact products could overflow (the points
/// are then weighed one by one, to the same sums).
pub struct Weigher<'w> {
    weighing: Weighing<'w>,
    totals: Option<WeightedTotals<'w>>,
    rows: Option<OrderedRows>,
}

/// One thread's buffers for the sums of a neighbourhood, so that weighing
/// one allocates nothing: plain ball sums (the flat kernel without
/// weights), or weighted sums and the lanes a batched kernel sum fills.
pub struct NeighbourhoodSums {
    /// Plain sums, for [`BallSearch::ball_sum`].
    pub plain: CoordinateSums,
    /// Weighted sums, which [`Weigher::weigh`] fills.
    pub weighted: WeightedSums,
    lanes: LaneSums,
}

impl NeighbourhoodSums {
    /// Empty sums for the neighbourhoods of `tree`.
    pub fn new<T: Coord>(tree: &BallSearch<T>) -> Self {
        let dim = tree.points().dim();
        NeighbourhoodSums {
            plain: tree.new_sums(),
            weighted: WeightedSums::new(dim),
            lanes: LaneSums::new(dim),
        }
    }
}

impl<'w> Weigher<'w> {
    /// The weigher of `tree`'s neighbourhoods, made in the pool `task` runs
    /// in; None for [`Weighing::FLAT`], whose neighbourhoods are plain ball
    /// sums ([`BallSearch::ball_sum`]). Given up with
    /// [`crate::Error::Interrupted`] once `task` is cancelled.
    ///
    /// ```
    /// use fastmeanshift::climbing::{NeighbourhoodSums, Weigher, Weighing};
    /// use fastmeanshift::parallel::never_stop;
    /// use fastmeanshift::search::ball::BallSearch;
    /// use fastmeanshift::{Kernel, Points, Workers};
    ///
    /// let x = [0.0, 1.0, 3.0];
    /// let weights = [1.0, 3.0, 5.0];
    /// let tree = BallSearch::new(Points::new(&x, 1)?)?;
    /// let weighing = Weighing { kernel: Kernel::Epanechnikov, weights: Some(&weights) };
    /// let weight = Workers::new(1)?.run(0, &never_stop, |task| {
    ///     let weigher = Weigher::new(&tree, weighing, task)?.expect("a kernel");
    ///     let mut sums = NeighbourhoodSums::new(&tree);
    ///     // Radius 2: u = 0 at 0, 1/4 at 1, and 3 is outside the support.
    ///     weigher.weigh(&tree, &[0.0], 4.0, &mut sums, task)?;
    ///     Ok(sums.weighted.weight())
    /// })?;
    /// assert_eq!(weight, 1.0 + 3.0 * 0.75);
    /// # Ok::<(), fastmeanshift::Error>(())
    /// ```
    pub fn new<T: Coord>(
        tree: &BallSearch<T>,
        weighing: Weighing<'w>,
        task: &Task,
    ) -> Result<Option<Self>> {
        if weighing == Weighing::FLAT {
            return Ok(None);
        }
        let totals = match weighing {
            Weighing {
                kernel: Kernel::Flat,
                weights: Some(weights),
            } => Some(tree.weighted_totals(weights, task)?),
            _ => None,
        };
        let rows = match weighing.kernel {
            Kernel::Flat => None,
            _ => tree.ordered_rows(weighing.weights, task)?,
        };
        Ok(Some(Weigher {
            weighing,
            totals,
            rows,
        }))
    }

    /// The bytes of its totals and rows.
    pub fn bytes(&self) -> usize {
        self.totals.as_ref().map_or(0, WeightedTotals::bytes)
            + self.rows.as_ref().map_or(0, OrderedRows::bytes)
    }

    /// Weighs every point `p` of `tree` in the kernel's support,
    /// `squared_distance(q, p) <= kernel.support() * radius2`, into
    /// `sums.weighted` (emptied first), with the term weight `w k(u)`
    /// (rounded; exact for the flat kernel, whose `k` is 1, and for integer
    /// weights below `2^21`, whose product with a shortened profile is),
    /// `u = squared_distance * Kernel::distance_scale(radius2)` (rounded).
    /// Given up with [`crate::Error::Interrupted`] once `task` is cancelled:
    /// a support can hold most of the data.
    pub fn weigh<T: Coord>(
        &self,
        tree: &BallSearch<T>,
        q: &[f64],
        radius2: f64,
        sums: &mut NeighbourhoodSums,
        task: &Task,
    ) -> Result<()> {
        let Weighing { kernel, weights } = self.weighing;
        let NeighbourhoodSums {
            weighted, lanes, ..
        } = sums;
        weighted.clear();
        match (&self.totals, &self.rows) {
            (Some(totals), _) => tree.weighted_ball_sum(q, radius2, totals, weighted),
            (None, Some(rows)) => {
                tree.kernel_sum(q, radius2, kernel, rows, lanes, task)?;
                lanes.add_to(rows.origins(), weighted);
            }
            (None, None) => {
                let points = tree.points();
                let support2 = kernel.support() * radius2;
                let scale = Kernel::distance_scale(radius2);
                tree.for_each_within_at(q, support2, task, |i, d2| {
                    let k = kernel.profile(d2 * scale);
                    let c = weights.map_or(k, |w| w[i] * k);
                    weighted.add(points.row(i), c, 0.0);
                })?;
            }
        }
        Ok(())
    }
}
