//! Case-list exports (`/cases/export.csv`, `/cases/export.xlsx`): any list filter,
//! the columns of a unit's register, the list's visibility, read in keyset
//! chunks and written as they are read, so a million rows take constant memory.
//! Each export is audited with its filter and row count before the first byte.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use diesel::PgConnection;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::cache::Caches;
use crate::error::AppError;
use crate::i18n::{k, t, Lang};
use crate::models::audit::{self, NewAudit};
use crate::models::case::list::{self, ExportItem, ListFilter};
use crate::models::case::{CaseType, Channel, Outcome, ReporterKind, Status};
use crate::services::case_list::ListQuery;

/// Rows read per query.
const CHUNK: i64 = 5_000;
/// Excel's last row, less the header.
pub const XLSX_MAX_ROWS: i64 = 1_048_575;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// An export checked, counted and audited, ready to write.
pub struct Prepared {
    pub filter: ListFilter,
    pub rows: i64,
    /// Reporters' names asked for (and logged); otherwise only their kind.
    pub reporter: bool,
    pub lang: Lang,
    pub tz: Tz,
    labels: Labels,
}

/// Parses the filter, refuses what may not be exported, counts the rows and
/// writes the audit row.
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    caches: &Caches,
    q: &ListQuery,
    (tz, lang): (Tz, Lang),
    format: Format,
    (max_rows, reporter): (u64, bool),
) -> Result<Prepared, AppError> {
    policy::require(me, policy::Action::WorkCases)?;
    let (mut filter, bad) = q.parse(tz);
    if bad {
        return Err(AppError::Invalid(k("export-bad-filter")));
    }
    if filter.q.is_some() {
        // The search window caps a search at its 500 most recent matches; an
        // export of a search would silently stop there.
        return Err(AppError::Invalid(k("export-no-search")));
    }
    filter.page = 1;
    filter.cursor = None;
    let vis = policy::case_visibility(me);
    let rows = list::count(conn, &vis, me.id, &filter, Utc::now())?;
    let max = i64::try_from(max_rows).unwrap_or(i64::MAX);
    let cap = if format == Format::Xlsx {
        max.min(XLSX_MAX_ROWS)
    } else {
        max
    };
    if rows > cap {
        return Err(AppError::Invalid(
            if format == Format::Xlsx && rows <= max {
                k("export-too-many-xlsx")
            } else {
                k("export-too-many")
            },
        ));
    }
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: Some(me.id),
            action: "case_export",
            target_type: Some("cases"),
            target_id: None,
            detail: serde_json::json!({
                "format": format.code(),
                "filter": q.filter_summary(),
                "rows": rows,
                "reporter": reporter,
            }),
        },
    )?;
    Ok(Prepared {
        filter,
        rows,
        reporter,
        lang,
        tz,
        labels: Labels::new(conn, caches, lang)?,
    })
}

/// Names of codes in the reader's language, looked up once per export.
struct Labels {
    types: HashMap<CaseType, String>,
    statuses: HashMap<Status, String>,
    channels: HashMap<Channel, String>,
    outcomes: HashMap<Outcome, String>,
    reporters: HashMap<ReporterKind, String>,
    categories: HashMap<i32, String>,
    deadline: [String; 3],
}

impl Labels {
    fn new(conn: &mut PgConnection, caches: &Caches, lang: Lang) -> Result<Labels, AppError> {
        fn all<T: Copy + std::hash::Hash + Eq>(
            lang: Lang,
            items: &[T],
            key: impl Fn(T) -> &'static str,
        ) -> HashMap<T, String> {
            items.iter().map(|i| (*i, t(lang, key(*i)))).collect()
        }
        Ok(Labels {
            types: all(lang, CaseType::ALL, |x| x.label_key()),
            statuses: all(lang, Status::ALL, |x| x.label_key()),
            channels: all(lang, Channel::ALL, |x| x.label_key()),
            outcomes: all(lang, Outcome::ALL, |x| x.label_key()),
            reporters: all(lang, ReporterKind::ALL, |x| x.label_key()),
            categories: caches
                .categories(conn)?
                .iter()
                .map(|c| (c.id, c.name(&lang).to_owned()))
                .collect(),
            deadline: [
                t(lang, "deadline-on-time"),
                t(lang, "deadline-due-soon"),
                t(lang, "deadline-overdue"),
            ],
        })
    }
}

/// The register's columns.
const COLUMNS: &[&str] = &[
    "export-col-ref",
    "export-col-received",
    "export-col-type",
    "export-col-category",
    "export-col-subcategory",
    "export-col-title",
    "export-col-reporter",
    "export-col-channel",
    "export-col-status",
    "export-col-assignee",
    "export-col-deadline",
    "export-col-deadline-state",
    "export-col-loss",
    "export-col-outcome",
];

/// One row as text (CSV) plus what Excel writes as a date or a number.
struct Cells {
    text: Vec<String>,
    received: DateTime<Utc>,
    deadline: Option<DateTime<Utc>>,
    loss: i64,
}

fn cells(p: &Prepared, names: &HashMap<i64, String>, r: &ExportItem, now: DateTime<Utc>) -> Cells {
    let l = &p.labels;
    let cat = |id: Option<i32>| {
        id.and_then(|i| l.categories.get(&i).cloned())
            .unwrap_or_default()
    };
    let reporter = {
        let kind = l
            .reporters
            .get(&r.reporter_kind)
            .cloned()
            .unwrap_or_default();
        match (&r.reporter_name, p.reporter) {
            (Some(n), true) if r.reporter_kind != ReporterKind::Anonymous => {
                format!("{n} ({kind})")
            }
            _ => kind,
        }
    };
    let open = !r.status.is_final();
    let deadline_state = match (r.deadline_at, open) {
        (Some(d), true) if d < now => l.deadline[2].clone(),
        (Some(d), true) if d < now + Duration::days(3) => l.deadline[1].clone(),
        (Some(_), true) => l.deadline[0].clone(),
        _ => String::new(),
    };
    let local = |d: &DateTime<Utc>| d.with_timezone(&p.tz).format("%d/%m/%Y %H:%M").to_string();
    Cells {
        text: vec![
            r.ref_.clone(),
            local(&r.received_at),
            l.types.get(&r.case_type).cloned().unwrap_or_default(),
            cat(r.category_id),
            cat(r.subcategory_id),
            r.title.clone(),
            reporter,
            l.channels.get(&r.channel).cloned().unwrap_or_default(),
            l.statuses.get(&r.status).cloned().unwrap_or_default(),
            r.assignee_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_default(),
            r.deadline_at.as_ref().map(local).unwrap_or_default(),
            deadline_state,
            r.total_loss.to_string(),
            r.outcome
                .and_then(|o| l.outcomes.get(&o).cloned())
                .unwrap_or_default(),
        ],
        received: r.received_at,
        deadline: r.deadline_at,
        loss: r.total_loss,
    }
}

/// A chunk of rows with its assignees' names.
type Chunk = (Vec<ExportItem>, HashMap<i64, String>);

/// Reads the export chunk by chunk, handing each row to `row`. A second
/// thread reads the next chunk while this one is written, so the database
/// and the writing each keep a core busy instead of taking turns; at most
/// two chunks are in memory.
fn each_row(
    conn: &mut PgConnection,
    me: &CurrentUser,
    caches: &Caches,
    p: &Prepared,
    mut row: impl FnMut(Cells) -> Result<bool, AppError>,
) -> Result<(), AppError> {
    let vis = policy::case_visibility(me);
    let now = Utc::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Chunk, AppError>>(1);
    std::thread::scope(|s| {
        let vis = &vis;
        s.spawn(move || {
            let mut after = None;
            loop {
                let got = read_chunk(conn, vis, me.id, caches, &p.filter, after, now);
                let next = match &got {
                    Ok((chunk, _)) if chunk.len() as i64 == CHUNK => {
                        chunk.last().map(|l| (l.received_at, l.id))
                    }
                    _ => None,
                };
                // A closed channel: the writer stopped (the reader went away).
                if tx.send(got).is_err() || next.is_none() {
                    return;
                }
                after = next;
            }
        });
        for got in rx {
            let (chunk, names) = got?;
            for r in &chunk {
                if !row(cells(p, &names, r, now))? {
                    return Ok(());
                }
            }
        }
        Ok(())
    })
}

fn read_chunk(
    conn: &mut PgConnection,
    vis: &crate::models::case::Visibility,
    me: i64,
    caches: &Caches,
    filter: &ListFilter,
    after: Option<(DateTime<Utc>, i64)>,
    now: DateTime<Utc>,
) -> Result<Chunk, AppError> {
    let chunk = list::export_chunk(conn, vis, me, filter, after, CHUNK, now)?;
    let ids: Vec<i64> = chunk.iter().filter_map(|r| r.assignee_id).collect();
    let dir = caches.directory(conn, &ids)?;
    let names = ids.iter().map(|id| (*id, dir.name(*id))).collect();
    Ok((chunk, names))
}

fn header(lang: Lang) -> Vec<String> {
    COLUMNS.iter().map(|c| t(lang, c)).collect()
}

/// Writes the CSV (UTF-8 with a byte-order mark, so spreadsheet programs read
/// Vietnamese correctly), passing each ~64 KB piece to `send`; stops early when
/// `send` says the reader has gone.
pub fn write_csv(
    conn: &mut PgConnection,
    me: &CurrentUser,
    caches: &Caches,
    p: &Prepared,
    mut send: impl FnMut(Vec<u8>) -> bool,
) -> Result<(), AppError> {
    fn writer() -> csv::Writer<Vec<u8>> {
        csv::Writer::from_writer(Vec::with_capacity(80 * 1024))
    }
    fn bytes(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, AppError> {
        w.into_inner()
            .map_err(|e| AppError::internal(e.to_string()))
    }
    let mut w = writer();
    w.write_record(header(p.lang)).map_err(AppError::internal)?;
    let mut first = "\u{feff}".as_bytes().to_vec();
    first.extend(bytes(std::mem::replace(&mut w, writer()))?);
    if !send(first) {
        return Ok(());
    }
    let mut gone = false;
    let mut pending = 0;
    each_row(conn, me, caches, p, |c| {
        w.write_record(&c.text).map_err(AppError::internal)?;
        pending += 1;
        if pending == 500 {
            pending = 0;
            if !send(bytes(std::mem::replace(&mut w, writer()))?) {
                gone = true;
                return Ok(false);
            }
        }
        Ok(true)
    })?;
    if !gone && pending > 0 {
        send(bytes(w)?);
    }
    Ok(())
}

/// Writes the workbook to `path`: one sheet, numbers as numbers and dates as
/// dates, rows streamed to a temporary file (constant memory).
pub fn write_xlsx(
    conn: &mut PgConnection,
    me: &CurrentUser,
    caches: &Caches,
    p: &Prepared,
    path: &std::path::Path,
) -> Result<(), AppError> {
    use rust_xlsxwriter::{Format as Fmt, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let mut wb = Workbook::new();
    if let Some(dir) = path.parent() {
        wb.set_tempdir(dir).map_err(x)?;
    }
    let bold = Fmt::new().set_bold();
    let date = Fmt::new().set_num_format("dd/mm/yyyy hh:mm");
    let money = Fmt::new().set_num_format("#,##0");
    let ws = wb.add_worksheet_with_constant_memory().map_err(x)?;
    ws.set_name(t(p.lang, "export-sheet")).map_err(x)?;
    for (i, h) in header(p.lang).iter().enumerate() {
        ws.write_string_with_format(0, col(i), h, &bold)
            .map_err(x)?;
    }
    let tz = p.tz;
    let mut row: u32 = 1;
    each_row(conn, me, caches, p, |c| {
        for (i, v) in c.text.iter().enumerate() {
            match i {
                1 => {
                    ws.write_datetime_with_format(
                        row,
                        col(i),
                        c.received.with_timezone(&tz).naive_local(),
                        &date,
                    )
                    .map_err(x)?;
                }
                10 => {
                    if let Some(d) = c.deadline {
                        ws.write_datetime_with_format(
                            row,
                            col(i),
                            d.with_timezone(&tz).naive_local(),
                            &date,
                        )
                        .map_err(x)?;
                    }
                }
                12 => {
                    ws.write_number_with_format(row, col(i), c.loss as f64, &money)
                        .map_err(x)?;
                }
                _ if v.is_empty() => {}
                _ => {
                    ws.write_string(row, col(i), v).map_err(x)?;
                }
            }
        }
        row += 1;
        Ok(true)
    })?;
    wb.save(path).map_err(x)?;
    Ok(())
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// A file name for the export: `PA05-vu-viec-2026-12-01.csv`.
pub fn file_name(prefix: &str, format: Format, now: DateTime<Utc>, tz: Tz) -> String {
    let safe: String = prefix
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!(
        "{safe}-cases-{}.{}",
        now.with_timezone(&tz).format("%Y-%m-%d"),
        format.code()
    )
}
