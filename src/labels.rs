//! Label assignment: each point's nearest centre (docs/algorithm.md §2.8),
//! or the centre nearest to where the point's own climb ended, its basin of
//! attraction (§12).

use crate::climbing::Climbs;
use crate::error::{try_filled_by_workers, Error, Result};
use crate::parallel::{StopCheck, Task, Workers};
use crate::points::{Coord, Points};
use crate::search::nearest::{index_centres, nearest_centres, Nearest};

/// What a point's label is taken from (docs/algorithm.md §12).
///
/// ```
/// use fastmeanshift::labels::Assignment;
///
/// assert_eq!(Assignment::from_name("attractor").unwrap(), Assignment::Attractor);
/// assert!(Assignment::from_name("closest").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Assignment {
    /// The point's own position: its nearest centre (scikit-learn's labels).
    #[default]
    Nearest,
    /// Where the point's own climb ended: the centre nearest to that, so a
    /// point takes the mode whose basin of attraction it lies in.
    Attractor,
}

impl Assignment {
    /// The assignment called `name` (`"nearest"` or `"attractor"`).
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "nearest" => Ok(Assignment::Nearest),
            "attractor" => Ok(Assignment::Attractor),
            _ => Err(Error::InvalidInput(format!(
                "unknown cluster_assignment {name:?}: expected \"nearest\" or \"attractor\""
            ))),
        }
    }
}

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

impl Orphans {
    /// [`Orphans::Drop`] beyond `bandwidth` if there is one, else
    /// [`Orphans::Cluster`].
    ///
    /// ```
    /// use fastmeanshift::Orphans;
    ///
    /// assert_eq!(Orphans::beyond(Some(2.0)), Orphans::Drop { bandwidth: 2.0 });
    /// assert_eq!(Orphans::beyond(None), Orphans::Cluster);
    /// ```
    pub fn beyond(bandwidth: Option<f64>) -> Self {
        bandwidth.map_or(Orphans::Cluster, |bandwidth| Orphans::Drop { bandwidth })
    }
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

/// Attractor labels (docs/algorithm.md §12): every point labelled as
/// [`assign_labels`] labels the end of its own climb (`own`, one climb per
/// point, in the points' order), or its own position where it did not
/// climb (weight 0, or dropped: intensity 0). The ends are overwritten.
pub fn assign_attractor_labels<T: Coord, C: Coord>(
    points: Points<T>,
    own: Climbs<T>,
    centres: Points<C>,
    orphans: Orphans,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Vec<i64>> {
    let Climbs {
        centers: mut ends,
        intensities,
        ..
    } = own;
    workers.run(0, stop, |task| {
        replace_rows(&mut ends, points, |i| intensities[i] == 0.0, task)
    })?;
    drop(intensities);
    assign_labels(
        Points::new(&ends, points.dim())?,
        centres,
        orphans,
        workers,
        stop,
    )
}

/// Copies row `i` of `from` over row `i` of `rows` wherever `replace(i)`,
/// converting exactly (into a type as wide or wider).
pub fn replace_rows<T: Coord, F: Coord>(
    rows: &mut [T],
    from: Points<F>,
    replace: impl Fn(usize) -> bool,
    task: &Task,
) -> Result<()> {
    let dim = from.dim();
    for (i, row) in rows.chunks_exact_mut(dim).enumerate() {
        if i % (1 << 14) == 0 {
            task.check()?;
        }
        if replace(i) {
            for (x, &y) in row.iter_mut().zip(from.row(i)) {
                *x = T::from_f64(y.to_f64());
            }
        }
    }
    Ok(())
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

    #[test]
    fn attractor_labels_take_the_climbs_ends_or_the_points_themselves() {
        // Point 0 climbed to 9.5 (centre 0); point 1 was dropped (intensity
        // 0) and is labelled from itself, at 1.0 (centre 1); point 2 climbed
        // to 30, beyond the bandwidth of both centres.
        let points = [0.0, 1.0, 4.0];
        let own = Climbs {
            centers: vec![9.5, 123.0, 30.0],
            intensities: vec![2.0, 0.0, 1.0],
            n_iter: 0,
        };
        let centres = [10.0, 0.5];
        let label = |orphans| {
            assign_attractor_labels(
                Points::new(&points, 1).unwrap(),
                own.clone(),
                Points::new(&centres, 1).unwrap(),
                orphans,
                &Workers::new(2).unwrap(),
                &never_stop,
            )
            .unwrap()
        };
        assert_eq!(label(Orphans::Cluster), vec![0, 1, 0]);
        assert_eq!(label(Orphans::Drop { bandwidth: 1.0 }), vec![0, 1, -1]);
    }
}
