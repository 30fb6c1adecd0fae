//! The crate's error type. The Python binding maps each variant to the
//! exception class scikit-learn raises, in one place (`python.rs`).

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Caller-supplied arrays or parameters that the algorithm cannot use.
    InvalidInput(String),
    /// No seed to climb from (for example, bin seeding kept no bin).
    NoSeeds,
    /// Every seed's first ball was empty: scikit-learn's "No point was within
    /// bandwidth" error.
    NoPointWithinBandwidth { bandwidth: f64 },
    /// A mean overflowed: the data's coordinates are too near the largest
    /// float to be averaged.
    MeanOverflow,
    /// A buffer of this many bytes could not be allocated.
    OutOfMemory { bytes: usize },
    /// The caller's stop check asked us to give up (Ctrl-C in Python).
    Interrupted,
    /// The worker thread pool could not be started.
    ThreadPool(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(msg) => f.write_str(msg),
            Error::NoSeeds => f.write_str(
                "No seeds to start mean shift from: bin seeding kept no bin with at least \
                 min_bin_freq points, or an empty seeds array was given. Lower min_bin_freq \
                 or pass seeds explicitly.",
            ),
            // Worded (and spaced) exactly as scikit-learn words it.
            Error::NoPointWithinBandwidth { bandwidth } => write!(
                f,
                "No point was within bandwidth={bandwidth:.6} of any seed. Try a different seeding \
                 strategy                              or increase the bandwidth."
            ),
            Error::MeanOverflow => f.write_str(
                "A cluster mean overflowed float64: the coordinates of X are too large to \
                 average. Rescale X, for example by dividing it by its largest absolute value.",
            ),
            Error::OutOfMemory { bytes } => {
                write!(f, "Unable to allocate {bytes} bytes for mean shift")
            }
            Error::Interrupted => f.write_str("interrupted"),
            Error::ThreadPool(msg) => write!(f, "could not start worker threads: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A zero-filled vector of `len` items, reserved fallibly so that a request too
/// large for memory becomes an error instead of an abort.
pub fn try_filled<T: Clone>(len: usize, value: T) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::OutOfMemory {
        bytes: len.saturating_mul(std::mem::size_of::<T>()),
    })?;
    v.resize(len, value);
    Ok(v)
}

/// Pushes `value`, growing the vector fallibly (by doubling, as `push` does):
/// too little memory is an error, not an abort.
pub fn try_push<T>(vec: &mut Vec<T>, value: T) -> Result<()> {
    vec.try_reserve(1).map_err(|_| Error::OutOfMemory {
        bytes: (vec.len() + 1).saturating_mul(2 * std::mem::size_of::<T>()),
    })?;
    vec.push(value);
    Ok(())
}
