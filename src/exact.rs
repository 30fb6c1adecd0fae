//! Exact arithmetic, kept in one place: the distance formula and the bounds
//! that decide ball membership as it would, summation whose result does not
//! depend on order (plain and weighted; exact, as expansions or as
//! fixed-point integers), the Gaussian kernel's exponential
//! (the same bits on every CPU), and interning of exact coordinate keys.

pub mod distance;
pub mod expansion;
pub mod exponential;
pub mod fixed;
pub(crate) mod interner;
pub mod lanes;
pub mod summation;
pub mod weighted;
