//! Joint spatial-range mean shift segmentation of images and volumes
//! (docs/algorithm.md §13): every pixel climbs in position and value
//! ([`crate::climbing::joint`]), pixels whose modes are within both
//! bandwidths, directly or through a chain of such pixels, form regions
//! ([`regions`]), and regions smaller than a minimum size merge into their
//! nearest neighbour in value ([`merging`]).

pub mod concurrent_sets;
pub mod merging;
pub mod regions;

use std::num::NonZeroUsize;

use crate::climbing::image_values::ImageValues;
use crate::climbing::joint::{climb_pixels, JointModes, Pixels, ProductKernel};
use crate::error::{Error, Result};
use crate::options::Kernel;
use crate::parallel::{Progress, StopCheck, Workers};
use crate::search::grid::Grid;

/// An image or a volume: values of any real type ([`ImageValues`]),
/// `channels` per pixel, pixels in raster (C) order over 1 to 3 spatial axes
/// with a spacing each.
///
/// ```
/// use fastmeanshift::segmentation::Image;
///
/// let values = [0u8; 2 * 3 * 3];
/// let image = Image::new(&values[..], &[2, 3], &[1.0, 1.0], 3)?;
/// assert_eq!(image.pixels().grid.len(), 6);
/// assert!(Image::new(&values[..], &[2, 3], &[1.0, 1.0], 2).is_err());
/// assert!(Image::new(&[f64::NAN][..], &[1], &[1.0], 1).is_err());
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Image<'a> {
    values: ImageValues<'a>,
    grid: Grid,
    channels: usize,
}

impl<'a> Image<'a> {
    /// The image of `values` (finite) with the spatial `shape`, `spacing`
    /// and `channels` values per pixel (at least one).
    pub fn new(
        values: impl Into<ImageValues<'a>>,
        shape: &[usize],
        spacing: &[f64],
        channels: usize,
    ) -> Result<Self> {
        let values = values.into();
        let grid = Grid::new(shape, spacing)?;
        if channels == 0 || grid.len().checked_mul(channels) != Some(values.len()) {
            return Err(Error::InvalidInput(format!(
                "{} values do not fill {} pixels of {channels} channels",
                values.len(),
                grid.len()
            )));
        }
        if !values.all_finite() {
            return Err(Error::InvalidInput(
                "the image contains NaN or infinity".into(),
            ));
        }
        Ok(Image {
            values,
            grid,
            channels,
        })
    }

    /// Its values on its grid.
    pub fn pixels(&self) -> Pixels<'_> {
        Pixels {
            grid: &self.grid,
            values: self.values,
            channels: self.channels,
        }
    }
}

/// The parameters of a segmentation.
///
/// ```
/// use fastmeanshift::segmentation::SegmentOptions;
///
/// let options = SegmentOptions { min_size: 50, ..SegmentOptions::new(6.0, 4.5) };
/// assert_eq!(options.max_iter, 300);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentOptions {
    /// `h_s`, in the units of the spacing (checked by [`segment`]).
    pub spatial_bandwidth: f64,
    /// `h_r`, in the units of the values.
    pub range_bandwidth: f64,
    /// The profile of both the spatial and the range kernel.
    pub kernel: Kernel,
    /// Regions of fewer pixels merge into a neighbour (0 or 1: none do).
    pub min_size: usize,
    /// The most iterations of one climb; 0 still moves each pixel once.
    pub max_iter: u64,
    /// Worker threads. The result does not depend on them.
    pub threads: NonZeroUsize,
}

impl SegmentOptions {
    /// Bandwidths `spatial` and `range`, the flat kernel, no merging, 300
    /// iterations, one thread.
    pub fn new(spatial: f64, range: f64) -> Self {
        SegmentOptions {
            spatial_bandwidth: spatial,
            range_bandwidth: range,
            kernel: Kernel::Flat,
            min_size: 0,
            max_iter: 300,
            threads: NonZeroUsize::MIN,
        }
    }
}

/// What a segmentation produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    /// One region label per pixel, in raster order: 0, 1, ... in raster
    /// order of each region's first pixel.
    pub labels: Vec<u32>,
    /// Each pixel's mode: the values where its climb ended, `channels` each.
    pub modes: Vec<f64>,
    /// Each region's value (the mean of its pixels' modes), by label.
    pub region_values: Vec<f64>,
    /// The most iterations any climb took.
    pub n_iter: u64,
}

/// Segments `image` (docs/algorithm.md §13) on `options.threads` workers,
/// calling `stop` with the pixels climbed now and then (returning `true`
/// abandons it with [`Error::Interrupted`]).
///
/// Memory: beyond the caller's values (read in place), the modes: 24 bytes
/// a pixel for their positions (freed once they have linked the modes) and
/// 8 a value. For the flat kernel's climbs, 4 bytes a value for each of its
/// planes where every value is a float32, 8 otherwise (the values channel
/// by channel, and their limbs where one is not enough); for the regions,
/// up to 21 bytes a pixel and 36 a part ([`regions`]); then 4 a pixel for
/// the labels, and up to about `100 + 50 C` bytes a region (at worst a
/// region a pixel) for merging, more if the modes span too wide a range for
/// fixed-point sums ([`merging`]).
///
/// ```
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::segmentation::{segment, Image, SegmentOptions};
///
/// // A 2 x 4 grey image: a dark left half, a bright right half.
/// let values = [0.0, 1.0, 20.0, 21.0, 1.0, 0.0, 21.0, 20.0];
/// let image = Image::new(&values[..], &[2, 4], &[1.0, 1.0], 1)?;
/// let got = segment(&image, &SegmentOptions::new(2.0, 4.0), &never_stop)?;
/// assert_eq!(got.labels, [0, 0, 1, 1, 0, 0, 1, 1]);
/// assert_eq!(got.region_values, [0.5, 20.5]);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub fn segment(
    image: &Image<'_>,
    options: &SegmentOptions,
    stop: StopCheck<'_>,
) -> Result<Segmentation> {
    let kernel = ProductKernel::new(
        options.kernel,
        options.spatial_bandwidth,
        options.range_bandwidth,
    )?;
    let workers = Workers::new(options.threads.get())?;
    let pixels = image.pixels();
    let n = image.grid.len();
    let climbed = workers.run(n, stop, |task| {
        climb_pixels(pixels, &kernel, options.max_iter, task)
    })?;
    let all_climbed = &|_| stop(Progress { done: n, total: n });
    let channels = image.channels;
    // The modes' positions are freed once they have linked the modes:
    // numbering the regions and merging need their values only.
    let JointModes {
        positions,
        values: modes,
        n_iter,
    } = climbed;
    let links = workers.run(n, all_climbed, |task| {
        regions::link_modes(
            &image.grid,
            &positions,
            &modes,
            channels,
            options.spatial_bandwidth,
            options.range_bandwidth,
            task,
        )
    })?;
    drop(positions);
    let merged = workers.run(n, all_climbed, |task| {
        merging::merge_small_regions(
            &image.grid,
            links.regions(task)?,
            &modes,
            channels,
            options.min_size,
            task,
        )
    })?;
    Ok(Segmentation {
        labels: merged.regions.of_pixel,
        modes,
        region_values: merged.values,
        n_iter,
    })
}
