//! The samples of every round, by case and implementation, and their medians.

use super::case::{Case, Impl};
use super::runner::Sample;

/// Every round's sample for each case and implementation.
#[derive(Debug)]
pub struct Results {
    pub cases: Vec<Case>,
    pub impls: Vec<Impl>,
    samples: Vec<Vec<Vec<Sample>>>,
}

impl Results {
    pub fn new(cases: Vec<Case>, impls: Vec<Impl>) -> Self {
        let samples = vec![vec![Vec::new(); impls.len()]; cases.len()];
        Self {
            cases,
            impls,
            samples,
        }
    }

    pub fn push(&mut self, case: usize, imp: usize, sample: Sample) {
        self.samples[case][imp].push(sample);
    }

    /// The rounds' samples of `imp` in `case` (`None` if `imp` is not in the report).
    fn runs(&self, case: usize, imp: Impl) -> Option<&[Sample]> {
        let i = self.impls.iter().position(|&x| x == imp)?;
        Some(&self.samples[case][i])
    }

    /// The median over the rounds of `pick`, if `imp` ran `case`.
    pub fn median(&self, case: usize, imp: Impl, pick: fn(&Sample) -> f64) -> Option<f64> {
        let round = self.median_round(case, imp, pick)?;
        self.runs(case, imp).map(|runs| pick(&runs[round]))
    }

    /// The round whose `pick` is the median (the one whose distribution is kept), if `imp`
    /// ran `case`.
    pub fn median_round(&self, case: usize, imp: Impl, pick: fn(&Sample) -> f64) -> Option<usize> {
        let runs = self.runs(case, imp)?;
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by(|&a, &b| pick(&runs[a]).total_cmp(&pick(&runs[b])));
        order.get(order.len() / 2).copied()
    }
}
