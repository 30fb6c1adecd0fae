//! The crate's error type. The Python binding maps each variant to the
//! exception class scikit-learn raises, in one place (`python/signals.rs`).

use std::fmt;

use rayon::prelude::*;

/// Every way a computation of the crate can fail.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Caller-supplied arrays or parameters that the algorithm cannot use.
    InvalidInput(String),
    /// No seed to climb from (for example, bin seeding kept no bin).
    NoSeeds,
    /// Every seed's first ball was empty: scikit-learn's "No point was within
    /// bandwidth" error.
    NoPointWithinBandwidth {
        /// The bandwidth of the fit.
        bandwidth: f64,
    },
    /// A mean overflowed: the coordinates of the points in one ball sum beyond
    /// the range of the data's type (NumPy's name for it).
    MeanOverflow {
        /// The data's type, by NumPy's name.
        dtype: &'static str,
    },
    /// A bin seed lies beyond the float range: the grid coordinates of the
    /// data, times the bin size, overflow.
    BinSeedOverflow {
        /// The size of the grid's cells (the bandwidth).
        bin_size: f64,
    },
    /// A buffer of this many bytes could not be allocated.
    OutOfMemory {
        /// The size of the allocation that failed.
        bytes: usize,
    },
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
            Error::MeanOverflow { dtype } => write!(
                f,
                "A cluster mean overflowed {dtype}: the points within bandwidth of a seed have \
                 coordinates whose sum is beyond the range of {dtype}, so their mean is infinite \
                 (scikit-learn, which sums in X's type, fails on it too). Rescale X, for \
                 example by dividing it by its largest absolute value."
            ),
            Error::BinSeedOverflow { bin_size } if bin_size.is_infinite() => f.write_str(
                "Bin seeding needs a finite bandwidth, and the estimated one is infinite (the \
                 distances between the samples overflow float64, beyond about 1e154): rescale \
                 X, or fit without bin_seeding.",
            ),
            Error::BinSeedOverflow { bin_size } => write!(
                f,
                "Bin seeding overflowed at bandwidth={}: for some samples the grid cell \
                 round(X / bandwidth), stored as float32 as scikit-learn stores it, times the \
                 bandwidth, is not a finite number. Give a larger bandwidth, or rescale X.",
                Short(*bin_size)
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

/// A number as Python's `%g` would show a bandwidth: plain when moderate,
/// in exponent form when tiny or huge.
struct Short(f64);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.abs();
        if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// A vector of `len` copies of `value`, reserved fallibly so that a request
/// too large for memory becomes an error instead of an abort.
///
/// ```
/// use fastmeanshift::error::{try_filled, Error};
///
/// assert_eq!(try_filled(3, 0.5).unwrap(), [0.5; 3]);
/// assert!(matches!(try_filled(usize::MAX / 4, 0u64), Err(Error::OutOfMemory { .. })));
/// ```
pub fn try_filled<T: Clone>(len: usize, value: T) -> Result<Vec<T>> {
    let mut v = try_reserved(len)?;
    v.resize(len, value);
    Ok(v)
}

/// [`try_filled`], filled by all the workers of the pool it is called in
/// (in a job of [`crate::Workers::run`]) when the vector is large: the first
/// write to fresh memory costs a page fault per page, and in a large fit,
/// filled on one thread, those made the largest buffers a serial part of
/// every stage.
///
/// Never call it with a lock held: while it waits for the other workers, a
/// worker may run another job of the pool, which could wait for that lock.
///
/// ```
/// use fastmeanshift::error::try_filled_by_workers;
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::Workers;
///
/// let ones = Workers::new(2)
///     .unwrap()
///     .run(0, &never_stop, |_| try_filled_by_workers(1 << 20, 1u32))
///     .unwrap();
/// assert!(ones.len() == 1 << 20 && ones.iter().all(|&x| x == 1));
/// ```
pub fn try_filled_by_workers<T: Clone + Send + Sync>(len: usize, value: T) -> Result<Vec<T>> {
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    if bytes < PARALLEL_FILL_BYTES || rayon::current_thread_index().is_none() {
        return try_filled(len, value);
    }
    let mut v = try_reserved(len)?;
    let chunk = (PARALLEL_FILL_BYTES / std::mem::size_of::<T>()).max(1);
    v.spare_capacity_mut()[..len]
        .par_chunks_mut(chunk)
        .for_each(|slots| {
            for slot in slots {
                slot.write(value.clone());
            }
        });
    // SAFETY: the capacity is at least `len` (reserved above), and each of
    // the first `len` slots was just written.
    unsafe { v.set_len(len) };
    Ok(v)
}

/// A copy of `items`, allocated fallibly as [`try_filled`] is.
pub(crate) fn try_copied<T: Copy>(items: &[T]) -> Result<Vec<T>> {
    let mut copy = try_reserved(items.len())?;
    copy.extend_from_slice(items);
    Ok(copy)
}

/// An empty vector with room for `len` items, or [`Error::OutOfMemory`].
pub(crate) fn try_reserved<T>(len: usize) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::OutOfMemory {
        bytes: len.saturating_mul(std::mem::size_of::<T>()),
    })?;
    Ok(v)
}

/// From this many bytes on, [`try_filled_by_workers`] fills in parallel, in
/// parts of this size.
const PARALLEL_FILL_BYTES: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::{never_stop, Workers};

    #[test]
    fn large_buffers_filled_in_a_pool_hold_the_value_everywhere() {
        let len = 3 * PARALLEL_FILL_BYTES / 8 + 5;
        let filled = Workers::new(2)
            .unwrap()
            .run(0, &never_stop, |_| try_filled_by_workers(len, [7u32, 9]))
            .unwrap();
        assert_eq!(filled.len(), len);
        assert!(filled.iter().all(|&x| x == [7, 9]));
        assert_eq!(try_filled_by_workers(len, 1.5f64).unwrap(), vec![1.5; len]);
    }

    #[test]
    fn a_buffer_too_large_is_an_error() {
        assert!(matches!(
            try_filled(usize::MAX / 4, 0u64),
            Err(Error::OutOfMemory { .. })
        ));
    }
}
