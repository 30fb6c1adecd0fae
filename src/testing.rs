//! Deterministic test data for the unit tests and benchmarks.

/// `n` pseudo-random numbers in [0, 1) from a xorshift generator.
pub fn noise(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// `n` points in `dim` dimensions around the given centres (row-major), each
/// coordinate offset by a spread of roughly `std` (sum of uniforms).
pub fn blobs(seed: u64, n: usize, centres: &[&[f64]], std: f64) -> Vec<f64> {
    let dim = centres[0].len();
    let u = noise(seed, n * dim * 4);
    let mut out = Vec::with_capacity(n * dim);
    for i in 0..n {
        let c = centres[i % centres.len()];
        for (j, &cj) in c.iter().enumerate() {
            let k = (i * dim + j) * 4;
            // Sum of four uniforms: mean 2, variance 1/3.
            let z = (u[k] + u[k + 1] + u[k + 2] + u[k + 3] - 2.0) * 3f64.sqrt();
            out.push(cj + std * z);
        }
    }
    out
}
