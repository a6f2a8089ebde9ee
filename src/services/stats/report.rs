//! The periodic report (`/stats/report`): numbered tables in the form a unit
//! sends its leadership and the ministry's cyber department, for a reporting
//! period, compared with the previous period and the same period a year before.
//! One structure is rendered as the A4 page, the workbook and the CSV files.

use chrono::NaiveDate;
use diesel::PgConnection;

use super::{compute_with, Figures, PeriodFigures, Scope, Stats, StatsFilter, COMPLIANCE, RESULTS};
use crate::auth::{policy, CurrentUser};
use crate::domain::period::Period;
use crate::error::AppError;
use crate::i18n::{t, Lang};
use crate::models::case::CaseType;
use crate::models::category::Category;
use crate::models::submission::{self, IntakeFigures};

/// A value in a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Count(i64),
    Money(i64),
    /// A share in percent, when it can be computed.
    Percent(Option<f64>),
    Text(String),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Count(n) => crate::domain::value::fmt_thousands(*n),
            Cell::Money(n) => crate::domain::value::fmt_thousands(*n),
            Cell::Percent(Some(p)) => super::view::percent(*p),
            Cell::Percent(None) => "—".into(),
            Cell::Text(s) => s.clone(),
        }
    }

    /// As a CSV field: numbers without separators, so a spreadsheet reads them.
    pub fn raw(&self) -> String {
        match self {
            Cell::Count(n) | Cell::Money(n) => n.to_string(),
            Cell::Percent(Some(p)) => format!("{p:.1}"),
            Cell::Percent(None) => String::new(),
            Cell::Text(s) => s.clone(),
        }
    }

    pub fn is_number(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
    pub total: bool,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub number: usize,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

pub struct Report {
    pub period: Period,
    pub previous: Option<Period>,
    pub year_before: Option<Period>,
    /// The unit and its parent body as named on the period's last day.
    pub unit_name: String,
    pub parent_name: String,
    pub ref_prefix: String,
    pub tables: Vec<Table>,
}

/// The change from `before` to `now` in percent, when `before` is not zero.
fn pct(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| 100.0 * (now - before) as f64 / before as f64)
}

/// Columns comparing a figure with the previous period and the year before.
fn compare_columns(lang: Lang) -> Vec<String> {
    [
        "report-col-now",
        "report-col-previous",
        "report-col-year",
        "report-col-vs-previous",
        "report-col-vs-previous-pct",
        "report-col-vs-year",
        "report-col-vs-year-pct",
    ]
    .iter()
    .map(|k| t(lang, k))
    .collect()
}

fn compare(label: String, now: i64, prev: i64, year: i64, money: bool) -> Row {
    let v = |n| {
        if money {
            Cell::Money(n)
        } else {
            Cell::Count(n)
        }
    };
    Row {
        label,
        cells: vec![
            v(now),
            v(prev),
            v(year),
            v(now - prev),
            Cell::Percent(pct(now, prev)),
            v(now - year),
            Cell::Percent(pct(now, year)),
        ],
        total: false,
    }
}

/// A row with values for the periods only (no change columns).
fn partial(label: String, cells: Vec<Cell>) -> Row {
    let mut cells = cells;
    cells.resize(7, Cell::Text(String::new()));
    Row {
        label,
        cells,
        total: false,
    }
}

fn total(mut r: Row) -> Row {
    r.total = true;
    r
}

/// Builds the report for a unit (supervisors: the report is the unit's).
pub fn build(
    conn: &mut PgConnection,
    me: &CurrentUser,
    period: Period,
    cutoff: u32,
    lang: Lang,
    categories: &[Category],
) -> Result<Report, AppError> {
    policy::require(me, policy::Action::SuperviseCases)?;
    let s = compute_with(
        conn,
        me,
        (Scope::Unit, StatsFilter::default()),
        period,
        cutoff,
        0,
    )?;
    let tz = s.tz;
    let intake = |p: Option<Period>, conn: &mut PgConnection| -> Result<IntakeFigures, AppError> {
        match p {
            Some(p) => Ok(submission::figures(
                conn,
                me.unit_id,
                super::start_of(p.from, tz),
                super::start_of(p.to, tz),
            )?),
            None => Ok(IntakeFigures::default()),
        }
    };
    let intake_now = intake(s.now.period, conn)?;
    let intake_prev = intake(s.previous.period, conn)?;
    let intake_year = intake(s.year_before.period, conn)?;
    let unit = crate::models::unit::find(conn, me.unit_id)?;
    let day = period.last_day();
    let (_, unit_name) = crate::models::unit::on_record(conn, me.unit_id, day)?;
    let parent_name = match unit.parent_id {
        Some(p) => crate::models::unit::on_record(conn, p, day)?.1,
        None => t(lang, "report-parent-default"),
    };
    let tables = tables(
        &s,
        lang,
        categories,
        [&intake_now, &intake_prev, &intake_year],
    );
    Ok(Report {
        period,
        previous: s.previous.period,
        year_before: s.year_before.period,
        unit_name,
        parent_name,
        ref_prefix: unit.ref_prefix,
        tables,
    })
}

fn by_type(p: &PeriodFigures, t: Option<CaseType>) -> Figures {
    Figures::fold_type(&p.rows, 1, t.map(|t| t.code()))
}

fn open_of(p: &PeriodFigures, t: CaseType) -> i64 {
    p.open_by_type
        .iter()
        .filter(|(c, _)| c == t.code())
        .map(|(_, n)| n)
        .sum()
}

/// The numbered tables (plain function over the figures; tested below).
pub fn tables(
    s: &Stats,
    lang: Lang,
    categories: &[Category],
    intake: [&IntakeFigures; 3],
) -> Vec<Table> {
    let periods = [&s.now, &s.previous, &s.year_before];
    let mut out = Vec::new();
    // 1. Received, decided and open at the end, by case type.
    let mut rows = Vec::new();
    for ct in CaseType::ALL {
        let f: Vec<Figures> = periods.iter().map(|p| by_type(p, Some(*ct))).collect();
        rows.push(Row {
            label: t(lang, ct.label_key()),
            cells: vec![
                Cell::Count(f[0].received),
                Cell::Count(f[1].received),
                Cell::Count(f[2].received),
                Cell::Count(f[0].decided),
                Cell::Count(open_of(&s.now, *ct)),
            ],
            total: false,
        });
    }
    rows.push(total(Row {
        label: t(lang, "report-total"),
        cells: vec![
            Cell::Count(s.now.f.received),
            Cell::Count(s.previous.f.received),
            Cell::Count(s.year_before.f.received),
            Cell::Count(s.now.f.decided),
            Cell::Count(s.now.open_at_end),
        ],
        total: false,
    }));
    out.push(Table {
        number: 1,
        title: t(lang, "report-t1"),
        columns: [
            "report-col-received-now",
            "report-col-previous",
            "report-col-year",
            "report-col-decided",
            "report-col-open",
        ]
        .iter()
        .map(|k| t(lang, k))
        .collect(),
        rows,
    });
    // 2. Received by category.
    let mut rows = Vec::new();
    let cat = |f: &Figures, key: &str, sub: bool| {
        let m = if sub {
            &f.by_subcategory
        } else {
            &f.by_category
        };
        m.get(key).copied().unwrap_or(0)
    };
    for c in categories.iter().filter(|c| c.parent_id.is_none()) {
        let key = c.id.to_string();
        let n: Vec<i64> = periods.iter().map(|p| cat(&p.f, &key, false)).collect();
        if n.iter().all(|v| *v == 0) {
            continue;
        }
        rows.push(compare(c.name(&lang).to_owned(), n[0], n[1], n[2], false));
        for sub in categories.iter().filter(|x| x.parent_id == Some(c.id)) {
            let key = sub.id.to_string();
            let n: Vec<i64> = periods.iter().map(|p| cat(&p.f, &key, true)).collect();
            if n.iter().any(|v| *v != 0) {
                rows.push(compare(
                    format!("— {}", sub.name(&lang)),
                    n[0],
                    n[1],
                    n[2],
                    false,
                ));
            }
        }
    }
    let none: Vec<i64> = periods.iter().map(|p| cat(&p.f, "", false)).collect();
    if none.iter().any(|v| *v != 0) {
        rows.push(compare(
            t(lang, "stats-uncategorised"),
            none[0],
            none[1],
            none[2],
            false,
        ));
    }
    rows.push(total(compare(
        t(lang, "report-total"),
        s.now.f.received,
        s.previous.f.received,
        s.year_before.f.received,
        false,
    )));
    out.push(Table {
        number: 2,
        title: t(lang, "report-t2"),
        columns: compare_columns(lang),
        rows,
    });
    // 3. Crime reports by result.
    let crime: Vec<Figures> = periods
        .iter()
        .map(|p| by_type(p, Some(CaseType::CrimeReport)))
        .collect();
    let mut rows: Vec<Row> = RESULTS
        .iter()
        .map(|r| {
            compare(
                t(lang, &format!("stats-result-{r}")),
                crime[0].result(r),
                crime[1].result(r),
                crime[2].result(r),
                false,
            )
        })
        .collect();
    rows.push(total(compare(
        t(lang, "report-total"),
        crime[0].decided,
        crime[1].decided,
        crime[2].decided,
        false,
    )));
    out.push(Table {
        number: 3,
        title: t(lang, "report-t3"),
        columns: compare_columns(lang),
        rows,
    });
    // 4. Deadlines kept (crime reports).
    let mut rows: Vec<Row> = COMPLIANCE
        .iter()
        .map(|c| {
            let n: Vec<i64> = crime
                .iter()
                .map(|f| f.compliance.get(*c).copied().unwrap_or(0))
                .collect();
            compare(
                t(lang, &format!("stats-compliance-{c}")),
                n[0],
                n[1],
                n[2],
                false,
            )
        })
        .collect();
    let shares: Vec<Option<(f64, f64)>> = crime.iter().map(Figures::in_time_shares).collect();
    for (i, key) in ["stats-compliance-first", "stats-compliance-with-extension"]
        .iter()
        .enumerate()
    {
        let get = |j: usize| shares[j].map(|s| if i == 0 { s.0 } else { s.1 });
        rows.push(partial(
            format!("{} (%)", t(lang, key)),
            vec![
                Cell::Percent(get(0)),
                Cell::Percent(get(1)),
                Cell::Percent(get(2)),
            ],
        ));
    }
    rows.push(partial(
        t(lang, "stats-overdue-now"),
        vec![Cell::Count(s.overdue_now)],
    ));
    out.push(Table {
        number: 4,
        title: t(lang, "report-t4"),
        columns: compare_columns(lang),
        rows,
    });
    // 5. Money.
    let m = |p: &PeriodFigures| (p.f.loss, p.money.frozen, p.money.returned);
    let (a, b, c) = (m(&s.now), m(&s.previous), m(&s.year_before));
    out.push(Table {
        number: 5,
        title: t(lang, "report-t5"),
        columns: compare_columns(lang),
        rows: vec![
            compare(t(lang, "stats-loss"), a.0, b.0, c.0, true),
            compare(t(lang, "stats-frozen"), a.1, b.1, c.1, true),
            compare(t(lang, "stats-returned"), a.2, b.2, c.2, true),
        ],
    });
    // 6. Public reports.
    let [i0, i1, i2] = intake;
    let median = |i: &IntakeFigures| {
        i.median_seconds
            .map(|s| Cell::Text(super::view::duration(lang, s)))
            .unwrap_or(Cell::Text("—".into()))
    };
    let mut rows = vec![
        compare(
            t(lang, "stats-intake-received"),
            i0.received,
            i1.received,
            i2.received,
            false,
        ),
        compare(
            t(lang, "stats-intake-triaged"),
            i0.triaged,
            i1.triaged,
            i2.triaged,
            false,
        ),
        compare(
            t(lang, "stats-intake-spam"),
            i0.spam,
            i1.spam,
            i2.spam,
            false,
        ),
    ];
    rows.push(partial(
        t(lang, "stats-intake-median"),
        vec![median(i0), median(i1), median(i2)],
    ));
    out.push(Table {
        number: 6,
        title: t(lang, "report-t6"),
        columns: compare_columns(lang),
        rows,
    });
    // 7. Security incidents by category and by the system's security level.
    let inc: Vec<Figures> = periods
        .iter()
        .map(|p| by_type(p, Some(CaseType::SecurityIncident)))
        .collect();
    let mut rows = Vec::new();
    for c in categories.iter().filter(|c| c.parent_id.is_none()) {
        let key = c.id.to_string();
        let n: Vec<i64> = inc.iter().map(|f| cat(f, &key, false)).collect();
        if n.iter().any(|v| *v != 0) {
            rows.push(compare(c.name(&lang).to_owned(), n[0], n[1], n[2], false));
        }
    }
    for level in ["1", "2", "3", "4", "5", ""] {
        let n: Vec<i64> = inc
            .iter()
            .map(|f| f.by_level.get(level).copied().unwrap_or(0))
            .collect();
        if n.iter().any(|v| *v != 0) {
            let label = if level.is_empty() {
                t(lang, "report-level-unknown")
            } else {
                crate::i18n::t_args(lang, "report-level", &[("n", level)])
            };
            rows.push(compare(label, n[0], n[1], n[2], false));
        }
    }
    rows.push(total(compare(
        t(lang, "report-total"),
        inc[0].received,
        inc[1].received,
        inc[2].received,
        false,
    )));
    out.push(Table {
        number: 7,
        title: t(lang, "report-t7"),
        columns: compare_columns(lang),
        rows,
    });
    out
}

/// Writes the report as a workbook: one sheet per table, the unit's heading
/// on each, numbers as numbers and the period's dates as dates.
pub fn xlsx(r: &Report, lang: Lang) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let number = Format::new().set_num_format("#,##0");
    let share = Format::new().set_num_format("0.0");
    for table in &r.tables {
        let ws = wb.add_worksheet();
        ws.set_name(format!("{} {}", t(lang, "report-sheet"), table.number))
            .map_err(x)?;
        ws.write_string_with_format(0, 0, &r.parent_name, &bold)
            .map_err(x)?;
        ws.write_string_with_format(1, 0, &r.unit_name, &bold)
            .map_err(x)?;
        ws.write_string_with_format(2, 0, format!("{}. {}", table.number, table.title), &bold)
            .map_err(x)?;
        ws.write_string(3, 0, t(lang, "report-period")).map_err(x)?;
        ws.write_date_with_format(3, 1, r.period.from, &date)
            .map_err(x)?;
        ws.write_date_with_format(3, 2, r.period.last_day(), &date)
            .map_err(x)?;
        for (i, c) in table.columns.iter().enumerate() {
            ws.write_string_with_format(5, col(i + 1), c, &bold)
                .map_err(x)?;
        }
        for (ri, row) in table.rows.iter().enumerate() {
            let y = 6 + u32::try_from(ri).unwrap_or(0);
            if row.total {
                ws.write_string_with_format(y, 0, &row.label, &bold)
                    .map_err(x)?;
            } else {
                ws.write_string(y, 0, &row.label).map_err(x)?;
            }
            for (ci, cell) in row.cells.iter().enumerate() {
                let c = col(ci + 1);
                match cell {
                    Cell::Count(n) | Cell::Money(n) => {
                        ws.write_number_with_format(y, c, *n as f64, &number)
                            .map_err(x)?;
                    }
                    Cell::Percent(Some(p)) => {
                        ws.write_number_with_format(y, c, (p * 10.0).round() / 10.0, &share)
                            .map_err(x)?;
                    }
                    Cell::Percent(None) => {}
                    Cell::Text(s) if s.is_empty() => {}
                    Cell::Text(s) => {
                        ws.write_string(y, c, s).map_err(x)?;
                    }
                }
            }
        }
        ws.set_column_width(0, 48).map_err(x)?;
    }
    wb.save_to_buffer().map_err(x)
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// One table as CSV (UTF-8 with a byte-order mark), the unit's heading first.
pub fn csv(r: &Report, number: usize, lang: Lang) -> Result<Vec<u8>, AppError> {
    let table = r
        .tables
        .iter()
        .find(|t| t.number == number)
        .ok_or(AppError::NotFound)?;
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let e = |e: csv::Error| AppError::internal(e);
    w.write_record([&r.unit_name]).map_err(e)?;
    w.write_record([format!("{}. {}", table.number, table.title)])
        .map_err(e)?;
    w.write_record([
        t(lang, "report-period"),
        fmt_date(r.period.from),
        fmt_date(r.period.last_day()),
    ])
    .map_err(e)?;
    let mut head = vec![String::new()];
    head.extend(table.columns.iter().cloned());
    w.write_record(&head).map_err(e)?;
    for row in &table.rows {
        let mut rec = vec![row.label.clone()];
        rec.extend(row.cells.iter().map(Cell::raw));
        w.write_record(&rec).map_err(e)?;
    }
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(
        w.into_inner()
            .map_err(|e| AppError::internal(e.to_string()))?,
    );
    Ok(out)
}

pub fn fmt_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_differences_and_shares_of_the_earlier_figure() {
        let r = compare("x".into(), 12, 10, 0, false);
        assert_eq!(r.cells[3], Cell::Count(2));
        assert_eq!(r.cells[4], Cell::Percent(Some(20.0)));
        assert_eq!(r.cells[6], Cell::Percent(None), "no share of nothing");
        assert_eq!(r.cells[4].raw(), "20.0");
        assert_eq!(Cell::Count(1_250_000).text(), "1.250.000");
    }
}
