//! Numbering of coordinate tuples by exact value, in order of first
//! appearance: the Python dict keyed by tuples that scikit-learn uses both for
//! bins and for climbed centres (docs/algorithm.md §2.5, §3.1).

use std::collections::HashMap;

#[derive(Default)]
pub struct ExactKeys {
    index: HashMap<Box<[u64]>, usize>,
    key: Vec<u64>,
}

impl ExactKeys {
    /// The number of `values` among the tuples seen so far (a new number if it
    /// is new), and whether it is new. Equal values are one key, so -0.0 and
    /// 0.0 are the same, as in Python.
    pub fn number(&mut self, values: impl IntoIterator<Item = f64>) -> (usize, bool) {
        self.key.clear();
        self.key
            .extend(values.into_iter().map(|v| (v + 0.0).to_bits()));
        if let Some(&n) = self.index.get(self.key.as_slice()) {
            return (n, false);
        }
        let n = self.index.len();
        self.index.insert(self.key.clone().into_boxed_slice(), n);
        (n, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_first_appearance_order() {
        let mut keys = ExactKeys::default();
        assert_eq!(keys.number([1.0, 2.0]), (0, true));
        assert_eq!(keys.number([2.0, 1.0]), (1, true));
        assert_eq!(keys.number([1.0, 2.0]), (0, false));
        assert_eq!(keys.number([-0.0, 0.0]), (2, true));
        assert_eq!(keys.number([0.0, -0.0]), (2, false));
    }
}
