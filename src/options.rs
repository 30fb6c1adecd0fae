//! The typed options of one fit: how the bandwidth is chosen, where the climbs
//! start, and the limits of the climb. Every value is checked where it is
//! made, so a fit never starts from options it cannot honour.

use std::num::NonZeroUsize;

use crate::error::{Error, Result};
use crate::labels::Assignment;
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

/// The kernel profile `k(u)` a climb weighs its neighbours with, `u` being a
/// neighbour's squared distance over the squared bandwidth
/// (docs/algorithm.md §10.1).
///
/// ```
/// use fastmeanshift::Kernel;
///
/// assert_eq!(Kernel::from_name("gaussian").unwrap(), Kernel::Gaussian);
/// assert_eq!(Kernel::Gaussian.support(), 9.0);
/// assert!(Kernel::from_name("cosine").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernel {
    /// `k(u) = 1` for `u <= 1`: scikit-learn's kernel, and the default.
    #[default]
    Flat,
    /// `k(u) = 1 - u` for `u <= 1`.
    Epanechnikov,
    /// `k(u) = exp(-u / 2)` for `u <= 9`: truncated at three bandwidths.
    Gaussian,
}

impl Kernel {
    /// The kernel called `name` (`"flat"`, `"epanechnikov"` or `"gaussian"`).
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "flat" => Ok(Kernel::Flat),
            "epanechnikov" => Ok(Kernel::Epanechnikov),
            "gaussian" => Ok(Kernel::Gaussian),
            _ => Err(Error::InvalidInput(format!(
                "unknown kernel {name:?}: expected \"flat\", \"epanechnikov\" or \"gaussian\""
            ))),
        }
    }

    /// The largest `u` in the kernel's support: 1, or 9 for the Gaussian.
    pub fn support(self) -> f64 {
        match self {
            Kernel::Flat | Kernel::Epanechnikov => 1.0,
            Kernel::Gaussian => 9.0,
        }
    }

    /// The searches its climbs make, for which their tree is built: the
    /// flat kernel's ball sums add whole nodes, the others weigh every point.
    ///
    /// ```
    /// use fastmeanshift::search::ball::Serves;
    /// use fastmeanshift::Kernel;
    ///
    /// assert_eq!(Kernel::Flat.serves(), Serves::NodeSums);
    /// assert_eq!(Kernel::Gaussian.serves(), Serves::KernelSums);
    /// ```
    pub fn serves(self) -> crate::search::ball::Serves {
        use crate::search::ball::Serves;
        match self {
            Kernel::Flat => Serves::NodeSums,
            Kernel::Epanechnikov | Kernel::Gaussian => Serves::KernelSums,
        }
    }

    /// The factor `a` that makes a squared distance `d2` into
    /// `u = d2 * a` (rounded): `1 / r2` rounded, the largest finite float64
    /// where that overflows (`r2` below `2^-1024`), and 1 where `r2` is 0
    /// (only squared distances of 0 are then in the support). Within the
    /// support `u` is then at most `support()` (docs/algorithm.md §10.1).
    ///
    /// ```
    /// use fastmeanshift::Kernel;
    ///
    /// assert_eq!(Kernel::distance_scale(0.25), 4.0);
    /// assert_eq!(Kernel::distance_scale(0.0), 1.0);
    /// assert_eq!(Kernel::distance_scale(1e-320), f64::MAX);
    /// ```
    #[inline(always)]
    pub fn distance_scale(r2: f64) -> f64 {
        if r2 > 0.0 {
            (1.0 / r2).min(f64::MAX)
        } else {
            1.0
        }
    }

    /// The profile `k(u)` at a `u` within the support (the Gaussian's
    /// exponential is [`crate::exact::exponential::exp_minus_half`]),
    /// [`crate::exact::weighted::shortened`] to 32 significant bits.
    ///
    /// ```
    /// use fastmeanshift::Kernel;
    ///
    /// assert_eq!(Kernel::Flat.profile(0.5), 1.0);
    /// assert_eq!(Kernel::Epanechnikov.profile(0.75), 0.25);
    /// let k = Kernel::Gaussian.profile(2.0);
    /// assert!(k <= (-1f64).exp() && (-1f64).exp() - k < 1e-10);
    /// ```
    #[inline(always)]
    pub fn profile(self, u: f64) -> f64 {
        crate::exact::weighted::shortened(match self {
            Kernel::Flat => 1.0,
            Kernel::Epanechnikov => 1.0 - u,
            Kernel::Gaussian => crate::exact::exponential::exp_minus_half::<f64>(u),
        })
    }
}

/// One weight per point: finite, `>= 0`, not all zero, with a finite sum
/// (docs/algorithm.md §10.2). Their number is checked against the points by
/// [`crate::fit`].
///
/// ```
/// use fastmeanshift::Weights;
///
/// assert_eq!(Weights::new(&[1.0, 0.0, 2.5]).unwrap().total(), 3.5);
/// assert!(Weights::new(&[1.0, -1.0]).is_err());
/// assert!(Weights::new(&[0.0, 0.0]).is_err());
/// assert!(Weights::new(&[f64::NAN]).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights<'a> {
    weights: &'a [f64],
    total: f64,
}

impl<'a> Weights<'a> {
    /// Checks `weights`.
    pub fn new(weights: &'a [f64]) -> Result<Self> {
        if let Some(bad) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(Error::InvalidInput(format!(
                "the weights must be finite numbers >= 0, got {bad}"
            )));
        }
        let total = crate::exact::weighted::compensated_sum(weights);
        if total == 0.0 {
            return Err(Error::InvalidInput("the weights are all zero".into()));
        }
        if !total.is_finite() {
            return Err(Error::InvalidInput(
                "the sum of the weights overflows float64".into(),
            ));
        }
        Ok(Weights { weights, total })
    }

    /// The weights, one per point.
    pub fn as_slice(&self) -> &'a [f64] {
        self.weights
    }

    /// Their sum, compensated (correctly rounded but for near-ties).
    pub fn total(&self) -> f64 {
        self.total
    }
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
    /// The kernel the climbs weigh their neighbours with.
    pub kernel: Kernel,
    /// One weight per point; `None`: every point weighs 1.
    pub weights: Option<Weights<'a>>,
    /// Labels by nearest centre, or by where each point's own climb ends.
    pub assignment: Assignment,
}

impl<'a> Options<'a> {
    /// scikit-learn's defaults around `bandwidth`: every point a seed,
    /// `max_iter` 300, `cluster_all`, one thread, the flat kernel, no weights,
    /// labels by nearest centre.
    pub fn new(bandwidth: Bandwidth<'a>) -> Self {
        Options {
            bandwidth,
            seeding: Seeding::EveryPoint,
            max_iter: 300,
            cluster_all: true,
            threads: NonZeroUsize::MIN,
            kernel: Kernel::Flat,
            weights: None,
            assignment: Assignment::Nearest,
        }
    }
}
