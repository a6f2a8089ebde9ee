//! Bar charts as geometry for an SVG template (`templates/stats/_chart.html`):
//! no JavaScript, readable when printed, labels escaped by askama like every
//! other text. Each chart keeps its data so the page shows it as a table too.

/// One bar, in viewBox units.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub series: usize,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub value: i64,
    /// "March 2026 — Crime reports: 12", the bar's tooltip.
    pub label: String,
}

#[derive(Clone, Debug)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub bars: Vec<Bar>,
    /// Category labels on the x axis, centred at x.
    pub x_labels: Vec<(f64, String)>,
    /// Gridlines: y and the value they mark.
    pub y_ticks: Vec<(f64, String)>,
    pub series: Vec<String>,
    /// The data: one row per category, one value per series.
    pub categories: Vec<String>,
    pub values: Vec<Vec<i64>>,
    pub unit: Unit,
}

/// How values read: counts, money (đồng) or a share in tenths of a percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Money,
    PerMille,
}

pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 280.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 44.0;

impl Unit {
    pub fn fmt(self, v: i64) -> String {
        match self {
            Unit::Count => crate::domain::value::fmt_thousands(v),
            Unit::Money => crate::domain::value::fmt_vnd(v),
            Unit::PerMille => format!("{},{}%", v / 10, (v % 10).abs()),
        }
    }

    fn tick(self, v: i64) -> String {
        match self {
            Unit::Money if v >= 1_000_000_000 => format!("{} tỷ", v / 1_000_000_000),
            Unit::Money if v >= 1_000_000 => format!("{} tr", v / 1_000_000),
            Unit::PerMille => format!("{}%", v / 10),
            _ => crate::domain::value::fmt_thousands(v),
        }
    }
}

/// A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `max`.
pub fn nice_max(max: i64) -> i64 {
    if max <= 0 {
        return 1;
    }
    let mut p: i64 = 1;
    while p.saturating_mul(10) <= max {
        p = p.saturating_mul(10);
    }
    for m in [1, 2, 5, 10] {
        if p.saturating_mul(m) >= max {
            return p.saturating_mul(m);
        }
    }
    p.saturating_mul(10)
}

/// What a chart shows: one row of values per category, one value per series.
pub struct Data {
    pub categories: Vec<String>,
    pub series: Vec<String>,
    pub values: Vec<Vec<i64>>,
}

impl Chart {
    /// Bars per category, one per series side by side, or stacked.
    pub fn bars(
        id: &str,
        (title, desc): (String, String),
        data: Data,
        stacked: bool,
        unit: Unit,
    ) -> Chart {
        let Data {
            categories,
            series,
            values,
        } = data;
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let n = categories.len().max(1) as f64;
        let slot = plot_w / n;
        let top = values
            .iter()
            .map(|row| {
                if stacked {
                    row.iter().map(|v| (*v).max(0)).sum()
                } else {
                    row.iter().copied().max().unwrap_or(0)
                }
            })
            .max()
            .unwrap_or(0);
        let axis = if unit == Unit::PerMille {
            1000
        } else {
            nice_max(top)
        };
        let scale = |v: i64| plot_h * (v.max(0) as f64) / (axis as f64);
        let mut bars = Vec::new();
        let ns = series.len().max(1) as f64;
        for (ci, row) in values.iter().enumerate() {
            let x0 = LEFT + slot * ci as f64 + slot * 0.15;
            let inner = slot * 0.7;
            let mut base = TOP + plot_h;
            for (si, v) in row.iter().enumerate() {
                let h = scale(*v);
                let label = format!(
                    "{} — {}: {}",
                    categories.get(ci).map(String::as_str).unwrap_or(""),
                    series.get(si).map(String::as_str).unwrap_or(""),
                    unit.fmt(*v)
                );
                if stacked {
                    base -= h;
                    bars.push(Bar {
                        series: si,
                        x: x0,
                        y: base,
                        w: inner,
                        h,
                        value: *v,
                        label,
                    });
                } else {
                    let w = inner / ns;
                    bars.push(Bar {
                        series: si,
                        x: x0 + w * si as f64,
                        y: TOP + plot_h - h,
                        w,
                        h,
                        value: *v,
                        label,
                    });
                }
            }
        }
        // Labels fit their slot (about 7 units a character); the bar's tooltip
        // and the data table keep the full text.
        let fit = ((slot / 7.0) as usize).max(3);
        let x_labels = categories
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let label = if c.chars().count() > fit {
                    format!("{}…", c.chars().take(fit - 1).collect::<String>())
                } else {
                    c.clone()
                };
                (LEFT + slot * (i as f64 + 0.5), label)
            })
            .collect();
        let y_ticks = (0..=4)
            .map(|i| {
                let v = axis * i / 4;
                (TOP + plot_h - scale(v), unit.tick(v))
            })
            .collect();
        Chart {
            id: id.to_owned(),
            title,
            desc,
            bars,
            x_labels,
            y_ticks,
            series,
            categories,
            values,
            unit,
        }
    }

    pub fn width(&self) -> f64 {
        WIDTH
    }
    pub fn height(&self) -> f64 {
        HEIGHT
    }
    pub fn left(&self) -> f64 {
        LEFT
    }
    pub fn right_edge(&self) -> f64 {
        WIDTH - RIGHT
    }
    pub fn label_y(&self) -> f64 {
        HEIGHT - BOTTOM + 18.0
    }
    pub fn category(&self, i: &usize) -> &str {
        self.categories.get(*i).map(String::as_str).unwrap_or("")
    }
    pub fn fmt(&self, v: &i64) -> String {
        self.unit.fmt(*v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_up_to_readable_numbers() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(430), 500);
        assert_eq!(nice_max(1_000), 1_000);
    }

    #[test]
    fn stacked_bars_sum_to_their_total_and_stay_in_the_plot() {
        let c = Chart::bars(
            "x",
            ("t".into(), "d".into()),
            Data {
                categories: vec!["a".into(), "b".into()],
                series: vec!["s1".into(), "s2".into()],
                values: vec![vec![3, 7], vec![0, 20]],
            },
            true,
            Unit::Count,
        );
        assert_eq!(c.bars.len(), 4);
        let a: f64 = c.bars.iter().filter(|b| b.x < 300.0).map(|b| b.h).sum();
        let b: f64 = c.bars.iter().filter(|b| b.x > 300.0).map(|b| b.h).sum();
        assert!((b / a - 2.0).abs() < 1e-9, "{a} {b}");
        assert!(c
            .bars
            .iter()
            .all(|b| b.y >= TOP - 1e-9 && b.y + b.h <= HEIGHT - BOTTOM + 1e-9));
        assert!(c.bars[1].label.contains("s2: 7"));
    }
}
