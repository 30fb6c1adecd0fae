//! The typed options of one fit: how the bandwidth is chosen, where the climbs
//! start, and the limits of the climb. Every value is checked where it is
//! made, so a fit never starts from options it cannot honour.

use std::num::NonZeroUsize;

use crate::error::{Error, Result};
use crate::points::Points;
use crate::seeding::Precision;

/// How the bandwidth of a fit is chosen.
///
/// ```
/// use fastmeanshift::Bandwidth;
///
/// assert!(Bandwidth::given(1.5).is_ok());
/// assert!(Bandwidth::given(-1.0).is_err());
/// assert!(Bandwidth::given(f64::NAN).is_err());
/// assert!(Bandwidth::estimated(0.3).is_ok());
/// assert!(Bandwidth::estimated(1.5).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bandwidth<'a>(Choice<'a>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Choice<'a> {
    Given(f64),
    Estimated {
        quantile: Quantile,
        sample: Option<&'a [usize]>,
    },
}

impl<'a> Bandwidth<'a> {
    /// A bandwidth chosen by the caller: any number `>= 0`. Zero is allowed
    /// (each climb then averages exact copies of its position only), as an
    /// estimate of zero is; so is infinity, the estimate of data whose
    /// distances overflow (every point is then within every ball).
    pub fn given(bandwidth: f64) -> Result<Self> {
        if bandwidth >= 0.0 {
            Ok(Bandwidth(Choice::Given(bandwidth)))
        } else {
            Err(Error::InvalidInput(format!(
                "the bandwidth must be a number >= 0, got {bandwidth}"
            )))
        }
    }

    /// The mean distance from each point to its k-th nearest point (itself
    /// included), `k = max(1, floor(n * quantile))`, over every point: see
    /// [`crate::bandwidth::estimate_bandwidth`]. The fit shares its search
    /// tree with the climb.
    pub fn estimated(quantile: f64) -> Result<Self> {
        Ok(Bandwidth(Choice::Estimated {
            quantile: Quantile::new(quantile)?,
            sample: None,
        }))
    }

    /// The same estimate over the rows `sample` of the data only, in that
    /// order (scikit-learn's `n_samples` draws them with NumPy's legacy
    /// `RandomState(random_state).permutation(n)[:n_samples]`, which the
    /// Python API reproduces; a Rust caller picks them as it likes).
    pub fn estimated_from_sample(quantile: f64, sample: &'a [usize]) -> Result<Self> {
        if sample.is_empty() {
            return Err(Error::InvalidInput(
                "the sample to estimate the bandwidth from is empty".into(),
            ));
        }
        Ok(Bandwidth(Choice::Estimated {
            quantile: Quantile::new(quantile)?,
            sample: Some(sample),
        }))
    }

    /// The bandwidth, if the caller gave it.
    pub fn value(&self) -> Option<f64> {
        match self.0 {
            Choice::Given(bandwidth) => Some(bandwidth),
            Choice::Estimated { .. } => None,
        }
    }

    /// The quantile and the sampled rows (`None`: every row), if estimated.
    pub fn estimate(&self) -> Option<(Quantile, Option<&'a [usize]>)> {
        match self.0 {
            Choice::Given(_) => None,
            Choice::Estimated { quantile, sample } => Some((quantile, sample)),
        }
    }
}

/// The fraction of the points, in `[0, 1]`, whose distance ranks the
/// neighbour the bandwidth estimate averages.
///
/// ```
/// use fastmeanshift::options::Quantile;
///
/// assert_eq!(Quantile::new(0.3).unwrap().get(), 0.3);
/// assert!(Quantile::new(f64::NAN).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantile(f64);

impl Quantile {
    /// `quantile` if it lies in `[0, 1]`.
    pub fn new(quantile: f64) -> Result<Self> {
        if (0.0..=1.0).contains(&quantile) {
            Ok(Quantile(quantile))
        } else {
            Err(Error::InvalidInput(format!(
                "the quantile must be in [0, 1], got {quantile}"
            )))
        }
    }

    /// The fraction itself.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// Where the climbs start.
#[derive(Debug, Clone, Copy)]
pub enum Seeding<'a> {
    /// Every point is a seed.
    EveryPoint,
    /// These positions, one row each, as many coordinates as the points.
    Given(Points<'a, f64>),
    /// The occupied cells of a grid whose spacing is the bandwidth, holding at
    /// least `min_bin_freq` points, in order of first appearance: see
    /// [`crate::seeding::bin_seeds`]. Every point is a seed instead when the
    /// bandwidth is 0 or when every point has a cell of its own.
    Bins {
        /// The fewest points a cell needs to give a seed.
        min_bin_freq: u64,
        /// The precision NumPy gives arithmetic between float32 values and a
        /// given bandwidth: [`Precision::Single`] for a Python number or a
        /// float32 scalar, [`Precision::Double`] for a float64 scalar. An
        /// estimated bandwidth is a float64 scalar.
        bin_size_precision: Precision,
    },
}

/// Everything a fit needs besides the points.
///
/// ```
/// use fastmeanshift::{Bandwidth, Options, Seeding};
///
/// let options = Options {
///     seeding: Seeding::EveryPoint,
///     max_iter: 100,
///     ..Options::new(Bandwidth::given(2.0).unwrap())
/// };
/// assert!(options.cluster_all);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The bandwidth, given or estimated.
    pub bandwidth: Bandwidth<'a>,
    /// Where the climbs start.
    pub seeding: Seeding<'a>,
    /// The most iterations of one climb; 0 still moves each seed once.
    pub max_iter: u64,
    /// `true`: every point gets its nearest centre; `false`: points farther
    /// than the bandwidth from every centre get the label -1.
    pub cluster_all: bool,
    /// Worker threads for the fit. The result does not depend on them.
    pub threads: NonZeroUsize,
}

impl<'a> Options<'a> {
    /// scikit-learn's defaults around `bandwidth`: every point a seed,
    /// `max_iter` 300, `cluster_all`, one thread.
    pub fn new(bandwidth: Bandwidth<'a>) -> Self {
        Options {
            bandwidth,
            seeding: Seeding::EveryPoint,
            max_iter: 300,
            cluster_all: true,
            threads: NonZeroUsize::MIN,
        }
    }
}
