//! Regions (docs/algorithm.md §13.3): neighbouring pixels whose modes lie
//! within one spatial bandwidth and half a range bandwidth of each other
//! join one region; regions are numbered in raster order of their first
//! pixel. Joining is a relation on pairs, and the regions its connected
//! components, so no order of work changes them.

use crate::climbing::joint::{JointModes, ProductKernel};
use crate::error::{try_filled, Result};
use crate::parallel::Task;
use crate::search::grid::Grid;

/// Pixels between two stop checks where the work is not by rows.
const CHECK_EVERY: usize = 1 << 14;

/// The most `u_r` between the modes of two pixels that join: half a range
/// bandwidth.
const JOIN_RANGE_U: f64 = 0.25;

/// Each pixel's region (numbered in raster order of first pixels), and the
/// number of regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    /// One region number per pixel, in raster order.
    pub of_pixel: Vec<u32>,
    /// How many regions there are.
    pub count: usize,
}

/// Whether the modes of pixels `a` and `b` are close enough to join:
/// `u_s <= 1` and `u_r <= 1/4`.
#[inline]
fn join(
    grid: &Grid,
    modes: &JointModes,
    channels: usize,
    kernel: &ProductKernel,
    a: usize,
    b: usize,
) -> bool {
    let d2_s = grid.squared_distance(&modes.positions[a], &modes.positions[b]);
    let va = &modes.values[a * channels..][..channels];
    let vb = &modes.values[b * channels..][..channels];
    let mut d2_r = 0.0;
    for (x, y) in va.iter().zip(vb) {
        let t = x - y;
        d2_r += t * t;
    }
    kernel.spatial_u(d2_s) <= 1.0 && kernel.range_u(d2_r) <= JOIN_RANGE_U
}

/// The regions of `modes` on `grid`: pixels neighbouring along one axis
/// whose modes join are in one region.
///
/// ```
/// use fastmeanshift::climbing::joint::{JointModes, ProductKernel};
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::search::grid::Grid;
/// use fastmeanshift::segmentation::regions::find_regions;
/// use fastmeanshift::{Kernel, Workers};
///
/// let grid = Grid::new(&[1, 4], &[1.0, 1.0])?;
/// let modes = JointModes {
///     positions: vec![[0.0, 0.0, 0.5], [0.0, 0.0, 0.5], [0.0, 0.0, 2.5], [0.0, 0.0, 2.5]],
///     values: vec![0.0, 0.0, 9.0, 9.0],
///     n_iter: 1,
/// };
/// let kernel = ProductKernel::new(Kernel::Flat, 2.0, 4.0)?;
/// let regions = Workers::new(1)?
///     .run(0, &never_stop, |task| find_regions(&grid, &modes, 1, &kernel, task))?;
/// assert_eq!((regions.of_pixel, regions.count), (vec![0, 0, 1, 1], 2));
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub fn find_regions(
    grid: &Grid,
    modes: &JointModes,
    channels: usize,
    kernel: &ProductKernel,
    task: &Task,
) -> Result<Regions> {
    let n = grid.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    grid.for_each_neighbour_pair(
        |_| task.check(),
        |before, i| {
            if join(grid, modes, channels, kernel, before, i) {
                unite(&mut parent, before, i);
            }
            Ok(())
        },
    )?;
    let mut number = try_filled(n, u32::MAX)?;
    let mut of_pixel = try_filled(n, 0u32)?;
    let mut count = 0u32;
    for (i, region) in of_pixel.iter_mut().enumerate() {
        if i % CHECK_EVERY == 0 {
            task.check()?;
        }
        let root = find(&mut parent, i);
        if number[root] == u32::MAX {
            number[root] = count;
            count += 1;
        }
        *region = number[root];
    }
    Ok(Regions {
        of_pixel,
        count: count as usize,
    })
}

/// The root of `i`'s set, halving the path on the way.
pub(crate) fn find(parent: &mut [u32], mut i: usize) -> usize {
    while parent[i] as usize != i {
        let grandparent = parent[parent[i] as usize];
        parent[i] = grandparent;
        i = grandparent as usize;
    }
    i
}

/// Joins the sets of `a` and `b`; the lower root becomes the root.
fn unite(parent: &mut [u32], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    let (low, high) = (ra.min(rb), ra.max(rb));
    parent[high] = low as u32;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kernel;

    #[test]
    fn regions_join_along_every_axis_and_number_by_first_pixel() {
        // A 2 x 2 x 2 volume: value 0 except pixels 3 and 7 (a column along
        // the first axis), whose modes are far in value.
        let grid = Grid::new(&[2, 2, 2], &[1.0, 1.0, 1.0]).unwrap();
        let values = vec![0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 5.0];
        let modes = JointModes {
            positions: (0..8).map(|i| grid.position(i)).collect(),
            values,
            n_iter: 0,
        };
        let kernel = ProductKernel::new(Kernel::Flat, 1.0, 1.0).unwrap();
        let regions = find_regions(&grid, &modes, 1, &kernel, &Task::uncancelled()).unwrap();
        assert_eq!(regions.of_pixel, [0, 0, 0, 1, 0, 0, 0, 1]);
        assert_eq!(regions.count, 2);
    }

    #[test]
    fn modes_a_spatial_bandwidth_apart_do_not_join() {
        let grid = Grid::new(&[1, 2], &[1.0, 1.0]).unwrap();
        let modes = JointModes {
            positions: vec![[0.0, 0.0, 0.0], [0.0, 0.0, 1.5]],
            values: vec![1.0, 1.0],
            n_iter: 0,
        };
        let kernel = ProductKernel::new(Kernel::Flat, 1.0, 1.0).unwrap();
        let regions = find_regions(&grid, &modes, 1, &kernel, &Task::uncancelled()).unwrap();
        assert_eq!(regions.count, 2);
    }
}
