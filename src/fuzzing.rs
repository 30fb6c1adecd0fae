//! Property-based fuzzing of the core (proptest) over arbitrary finite data
//! and parameters: extremes near the float64 limits, ties, duplicates, empty
//! seed sets. No input may panic, every result keeps the basic invariants, and
//! one thread and two give the same bits. `PROPTEST_CASES` sets the number of
//! cases per property (CI runs the default, 256; a long run sets more).

use proptest::prelude::*;

use crate::bandwidth::estimate_bandwidth;
use crate::labels::assign_labels;
use crate::parallel::never_stop;
use crate::points::squared_distance;
use crate::seeding::{bin_seeds, Precision};
use crate::{
    mean_shift, Clustering, Coord, Error, Orphans, Params, Points, Result, Seeds, Workers,
};

/// Finite coordinates: mostly small integers (exact ties and duplicates),
/// some ordinary reals, some extremes.
fn coordinate() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (-3i32..=3).prop_map(f64::from),
        3 => -10.0..10.0f64,
        1 => prop::sample::select(vec![
            0.0, -0.0, 5e-324, 1e-300, -1e-300, 1e300, -1e300, f64::MAX, f64::MIN,
        ]),
        1 => prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ]
}

/// `(dim, rows)` with 1 to 4 features and up to `max_rows` rows.
fn matrix(max_rows: usize) -> impl Strategy<Value = (usize, Vec<f64>)> {
    (1usize..=4, 1..=max_rows)
        .prop_flat_map(|(dim, rows)| (Just(dim), prop::collection::vec(coordinate(), dim * rows)))
}

fn bandwidth() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => prop::sample::select(vec![0.0, 5e-324, 1e-300, 1e300, f64::MAX]),
        4 => 0.01..5.0f64,
        1 => prop::num::f64::POSITIVE | prop::num::f64::NORMAL,
    ]
}

fn max_iter() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..=4, Just(300), Just(u64::MAX)]
}

fn workers(threads: usize) -> Workers {
    Workers::new(threads).unwrap()
}

fn fit<T: Coord>(
    data: &[T],
    dim: usize,
    seeds: Option<&[f64]>,
    params: Params,
    threads: usize,
) -> Result<Clustering<T>> {
    let seeds = match seeds {
        Some(s) => Seeds::Given(Points::new(s, dim).unwrap()),
        None => Seeds::EveryPoint,
    };
    mean_shift(
        Points::new(data, dim).unwrap(),
        seeds,
        params,
        &workers(threads),
        &never_stop,
    )
}

/// The invariants of a fit, and the same bits from one thread and from two.
fn check_fit<T: Coord>(
    data: &[T],
    dim: usize,
    seeds: Option<&[f64]>,
    params: Params,
) -> std::result::Result<(), TestCaseError> {
    let one = fit(data, dim, seeds, params, 1);
    let two = fit(data, dim, seeds, params, 2);
    match (&one, &two) {
        (Ok(a), Ok(b)) => {
            let bits = |c: &Clustering<T>| {
                c.centers
                    .iter()
                    .map(|x| x.to_f64().to_bits())
                    .collect::<Vec<_>>()
            };
            prop_assert_eq!(bits(a), bits(b));
            prop_assert_eq!(&a.labels, &b.labels);
            prop_assert_eq!(a.n_iter, b.n_iter);
        }
        _ => prop_assert_eq!(&one.as_ref().err(), &two.as_ref().err()),
    }
    match one {
        Ok(c) => {
            let k = c.centers.len() / dim;
            prop_assert!(k >= 1 && c.centers.len() % dim == 0);
            prop_assert!(c.centers.iter().all(|x| x.to_f64().is_finite()));
            prop_assert_eq!(c.labels.len(), data.len() / dim);
            let lowest = if params.cluster_all { 0 } else { -1 };
            prop_assert!(c.labels.iter().all(|&l| l >= lowest && l < k as i64));
            prop_assert!(c.n_iter <= params.max_iter);
        }
        Err(e) => prop_assert!(
            matches!(
                e,
                Error::NoSeeds | Error::NoPointWithinBandwidth { .. } | Error::MeanOverflow
            ),
            "unexpected error {e:?}"
        ),
    }
    Ok(())
}

proptest! {
    #[test]
    fn mean_shift_from_every_point(
        (dim, data) in matrix(30),
        bandwidth in bandwidth(),
        max_iter in max_iter(),
        cluster_all in any::<bool>(),
    ) {
        let params = Params { bandwidth, max_iter, cluster_all };
        check_fit(&data, dim, None, params)?;
        // float32 data: the same values rounded, the largest to f32::MAX.
        let single: Vec<f32> = data.iter().map(|&x| (x as f32).clamp(f32::MIN, f32::MAX)).collect();
        check_fit(&single, dim, None, params)?;
    }

    #[test]
    fn mean_shift_from_given_seeds(
        (dim, data) in matrix(20),
        seeds in prop::collection::vec(coordinate(), 0..=24),
        bandwidth in bandwidth(),
        max_iter in max_iter(),
        cluster_all in any::<bool>(),
    ) {
        let seeds = &seeds[..seeds.len() - seeds.len() % dim];
        let params = Params { bandwidth, max_iter, cluster_all };
        check_fit(&data, dim, Some(seeds), params)?;
    }

    #[test]
    fn estimated_bandwidth_is_a_distance((dim, data) in matrix(40), quantile in 0.0..=1.0f64) {
        let points = Points::new(&data, dim).unwrap();
        let one = estimate_bandwidth(points, quantile, &workers(1), &never_stop).unwrap();
        let two = estimate_bandwidth(points, quantile, &workers(2), &never_stop).unwrap();
        prop_assert!(one >= 0.0, "{}", one);
        prop_assert_eq!(one.to_bits(), two.to_bits());
    }

    #[test]
    fn bins_come_from_rows(
        (dim, data) in matrix(40),
        bin_size in prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL,
        min_bin_freq in prop_oneof![0usize..=3, Just(usize::MAX)],
        single in any::<bool>(),
    ) {
        let bins = if single {
            let data: Vec<f32> = data.iter().map(|&x| (x as f32).clamp(f32::MIN, f32::MAX)).collect();
            bin_seeds::<_, f32>(Points::new(&data, dim).unwrap(), bin_size, Precision::Single, min_bin_freq, &Workers::new(2).unwrap())
        } else {
            bin_seeds::<_, f32>(Points::new(&data, dim).unwrap(), bin_size, Precision::Double, min_bin_freq, &Workers::new(2).unwrap())
        }
        .unwrap();
        prop_assert_eq!(bins.coords.len(), bins.len * dim);
        prop_assert!(bins.len <= data.len() / dim);
    }

    #[test]
    fn labels_are_the_lowest_nearest_centre(
        (dim, data) in matrix(30),
        centres in prop::collection::vec(coordinate(), 1..=40),
        bandwidth in bandwidth(),
    ) {
        let centres: Vec<f64> = centres.iter().cycle().take(centres.len().max(dim) / dim * dim).copied().collect();
        let (points, centre_points) = (Points::new(&data, dim).unwrap(), Points::new(&centres, dim).unwrap());
        let orphans = Orphans::Drop { bandwidth };
        let one = assign_labels(points, centre_points, orphans, &workers(1), &never_stop).unwrap();
        let two = assign_labels(points, centre_points, orphans, &workers(2), &never_stop).unwrap();
        prop_assert_eq!(&one, &two);
        for (i, &label) in one.iter().enumerate() {
            let q: Vec<f64> = points.row(i).to_vec();
            let distances: Vec<f64> = (0..centre_points.len()).map(|c| squared_distance(&q, centre_points.row(c))).collect();
            let best = distances.iter().copied().fold(f64::INFINITY, f64::min);
            let nearest = distances.iter().position(|&d| d == best).unwrap_or(0) as i64;
            let expected = if best.sqrt() > bandwidth { -1 } else { nearest };
            prop_assert_eq!(label, expected, "point {:?} centres {:?}", q, centres);
        }
    }
}
