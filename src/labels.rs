//! Label assignment (docs/algorithm.md §2.8).

use crate::error::{try_filled_by_workers, Result};
use crate::parallel::{StopCheck, Workers};
use crate::points::{Coord, Points};
use crate::search::nearest::{index_centres, nearest_centres, Nearest};

/// Which points get a label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Orphans {
    /// Every point takes its nearest centre (`cluster_all=True`, and `predict`).
    Cluster,
    /// Points farther than this bandwidth from every centre get -1.
    Drop {
        /// The largest distance at which a point still takes a centre.
        bandwidth: f64,
    },
}

/// The index of every point's nearest centre (lowest index on ties), or -1
/// for an orphan. Progress counts points.
pub fn assign_labels<T: Coord, C: Coord>(
    points: Points<T>,
    centres: Points<C>,
    orphans: Orphans,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Vec<i64>> {
    workers.run(points.len(), stop, |task| {
        // Allocated by the job, in the allocator arena where a fit's search
        // tree was, and freed before this (the calling thread's arena would
        // take fresh memory).
        let mut labels = try_filled_by_workers(points.len(), 0i64)?;
        let index = index_centres(centres, task)?;
        let label = |n: Nearest| match orphans {
            // scikit-learn compares the (square-rooted) distance itself.
            Orphans::Drop { bandwidth } if n.distance2.sqrt() > bandwidth => -1,
            _ => i64::from(n.centre),
        };
        nearest_centres(index.as_ref(), points, task, label, &mut labels)?;
        Ok(labels)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::never_stop;

    fn labels(orphans: Orphans) -> Vec<i64> {
        let points = [0.0, 1.0, 4.0, 9.0, 10.0, 30.0];
        let centres = [10.0, 0.5];
        assign_labels(
            Points::new(&points, 1).unwrap(),
            Points::new(&centres, 1).unwrap(),
            orphans,
            &Workers::new(1).unwrap(),
            &never_stop,
        )
        .unwrap()
    }

    #[test]
    fn cluster_all_labels_everything() {
        assert_eq!(labels(Orphans::Cluster), vec![1, 1, 1, 0, 0, 0]);
    }

    #[test]
    fn orphans_beyond_the_bandwidth_get_minus_one() {
        // 4.0 is 3.5 from 0.5: inside a bandwidth of 3.5 (inclusive), 30 is not.
        assert_eq!(
            labels(Orphans::Drop { bandwidth: 3.5 }),
            vec![1, 1, 1, 0, 0, -1]
        );
        assert_eq!(
            labels(Orphans::Drop { bandwidth: 1.0 }),
            vec![1, 1, -1, 0, 0, -1]
        );
    }
}
