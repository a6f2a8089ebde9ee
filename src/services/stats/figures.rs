//! Folding summed tallies into the figures of one period (`docs/domain.md` §13):
//! plain functions over rows, so the definitions are tested without a database.

use std::collections::BTreeMap;

use crate::models::case_tally::TallyRow;

/// Results a decision can have: the five outcomes, a resolution without one,
/// a transfer to another agency, a suspension.
pub const RESULTS: &[&str] = &[
    "prosecuted",
    "not_prosecuted",
    "administrative_fine",
    "remediated",
    "no_violation",
    "none",
    "transferred",
    "suspended",
];

pub const COMPLIANCE: &[&str] = &["in_time", "extended", "late"];

pub const TIMES: &[&str] = &["classify", "assign", "decide"];

/// Counts of durations in bands 10% wide (`case_time_band` in SQL).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bands(pub BTreeMap<i16, i64>);

impl Bands {
    pub fn count(&self) -> i64 {
        self.0.values().sum()
    }

    /// The `q`-quantile in seconds (0 < q < 1), interpolated within its band
    /// (geometrically, as the bands are), so within 5% of the exact value.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total <= 0 {
            return None;
        }
        let rank = q * total as f64;
        let mut seen = 0.0;
        for (band, n) in &self.0 {
            let n = *n as f64;
            if n <= 0.0 {
                continue;
            }
            if seen + n >= rank {
                let frac = ((rank - seen) / n).clamp(0.0, 1.0);
                return Some(if *band <= 0 {
                    60.0 * frac
                } else {
                    let lo = 60.0 * 1.1f64.powi(i32::from(*band) - 1);
                    lo * 1.1f64.powf(frac)
                });
            }
            seen += n;
        }
        None
    }
}

/// The band SQL puts `seconds` in (tests check both agree).
pub fn band_of(seconds: f64) -> i16 {
    if seconds < 60.0 {
        0
    } else {
        (1.0 + ((seconds / 60.0).ln() / 1.1f64.ln()).floor()).min(32000.0) as i16
    }
}

/// Frozen and returned money in a period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Money {
    pub frozen: i64,
    pub frozen_n: i64,
    pub returned: i64,
    pub returned_n: i64,
}

/// One period's figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    pub received: i64,
    /// Money reported lost in the cases received.
    pub loss: i64,
    pub by_type: BTreeMap<String, i64>,
    pub by_category: BTreeMap<String, i64>,
    pub by_subcategory: BTreeMap<String, i64>,
    pub by_channel: BTreeMap<String, i64>,
    /// Security incidents by the affected system's security level ('' unknown).
    pub by_level: BTreeMap<String, i64>,
    pub decided: i64,
    pub results: BTreeMap<String, i64>,
    pub compliance: BTreeMap<String, i64>,
    pub times: BTreeMap<String, Bands>,
    pub money: Money,
}

impl Figures {
    /// Sums the rows of `bucket`.
    pub fn fold(rows: &[TallyRow], bucket: i32) -> Figures {
        Figures::fold_type(rows, bucket, None)
    }

    /// Sums the rows of `bucket` of one case type (all when `None`).
    pub fn fold_type(rows: &[TallyRow], bucket: i32, case_type: Option<&str>) -> Figures {
        let mut f = Figures::default();
        for r in rows
            .iter()
            .filter(|r| r.bucket == bucket && case_type.is_none_or(|t| t == r.case_type))
        {
            match (r.measure.as_str(), r.dim.as_str()) {
                ("received", "all") => {
                    f.received += r.n;
                    f.loss += r.amount;
                    *f.by_type.entry(r.case_type.clone()).or_default() += r.n;
                }
                ("received", "category") => *f.by_category.entry(r.key.clone()).or_default() += r.n,
                ("received", "subcategory") => {
                    *f.by_subcategory.entry(r.key.clone()).or_default() += r.n
                }
                ("received", "channel") => *f.by_channel.entry(r.key.clone()).or_default() += r.n,
                ("received", "level") => *f.by_level.entry(r.key.clone()).or_default() += r.n,
                ("decided", "all") => f.decided += r.n,
                ("decided", "result") => *f.results.entry(r.key.clone()).or_default() += r.n,
                ("deadline", "result") => *f.compliance.entry(r.key.clone()).or_default() += r.n,
                ("money", "frozen") => {
                    f.money.frozen += r.amount;
                    f.money.frozen_n += r.n;
                }
                ("money", "returned") => {
                    f.money.returned += r.amount;
                    f.money.returned_n += r.n;
                }
                ("time", which) => {
                    *f.times
                        .entry(which.to_owned())
                        .or_default()
                        .0
                        .entry(r.band)
                        .or_default() += r.n
                }
                _ => {}
            }
        }
        f
    }

    pub fn result(&self, key: &str) -> i64 {
        self.results.get(key).copied().unwrap_or(0)
    }

    /// Crime reports decided against their clock.
    pub fn judged(&self) -> i64 {
        self.compliance.values().sum()
    }

    /// Share (0–100) decided in time without extension, and with extensions.
    pub fn in_time_shares(&self) -> Option<(f64, f64)> {
        let all = self.judged();
        if all == 0 {
            return None;
        }
        let get = |k: &str| self.compliance.get(k).copied().unwrap_or(0) as f64;
        let first = get("in_time");
        Some((
            100.0 * first / all as f64,
            100.0 * (first + get("extended")) / all as f64,
        ))
    }

    pub fn time(&self, which: &str) -> Bands {
        self.times.get(which).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn row(
        bucket: i32,
        t: &str,
        measure: &str,
        dim: &str,
        key: &str,
        band: i16,
        n: i64,
        amount: i64,
    ) -> TallyRow {
        TallyRow {
            bucket,
            case_type: t.into(),
            measure: measure.into(),
            dim: dim.into(),
            key: key.into(),
            band,
            n,
            amount,
        }
    }

    #[test]
    fn folding_sums_one_bucket_only() {
        let rows = vec![
            row(1, "crime_report", "received", "all", "", 0, 3, 900),
            row(1, "security_incident", "received", "all", "", 0, 1, 0),
            row(2, "crime_report", "received", "all", "", 0, 50, 1),
            row(1, "crime_report", "received", "channel", "phone", 0, 2, 600),
            row(
                1,
                "crime_report",
                "decided",
                "result",
                "prosecuted",
                0,
                1,
                0,
            ),
            row(1, "crime_report", "deadline", "result", "in_time", 0, 1, 0),
            row(1, "crime_report", "deadline", "result", "late", 0, 1, 0),
        ];
        let f = Figures::fold(&rows, 1);
        assert_eq!((f.received, f.loss), (4, 900));
        assert_eq!(f.by_type.get("crime_report"), Some(&3));
        assert_eq!(f.by_channel.get("phone"), Some(&2));
        assert_eq!(f.result("prosecuted"), 1);
        assert_eq!(f.in_time_shares(), Some((50.0, 50.0)));
    }

    #[test]
    fn quantiles_from_bands_are_within_five_percent() {
        let secs: Vec<f64> = (1..=999).map(|i| 60.0 * f64::from(i) * 1.7).collect();
        let mut b = Bands::default();
        for s in &secs {
            *b.0.entry(band_of(*s)).or_default() += 1;
        }
        for q in [0.5, 0.9] {
            let exact = secs[(q * secs.len() as f64) as usize - 1];
            let est = b.quantile(q).unwrap();
            assert!(
                (est / exact - 1.0).abs() < 0.05,
                "q={q} exact={exact} est={est}"
            );
        }
        assert_eq!(Bands::default().quantile(0.5), None);
        let mut one = Bands::default();
        one.0.insert(band_of(30.0), 1);
        assert!(one.quantile(0.5).unwrap() < 60.0);
    }
}
