//! The searches: exact closed balls over the points (the climb and the
//! bandwidth estimate) and the nearest centre of each point (the labels).

pub mod ball;
pub mod grid;
pub mod nearest;
