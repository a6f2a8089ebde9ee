//! The handover import (`docs/domain.md` §14): the previous agency's
//! registers read into cases of a chosen unit, from the command line or
//! `/admin/import`. A run reads the file once, a batch of rows at a time;
//! each batch's new cases are written in one transaction, so a failure
//! midway leaves whole batches only, and running the same file again
//! resumes: what is there is "already imported", a changed row is reported
//! as a difference and never overwritten. A dry run reads and checks
//! everything and writes no case.

mod row;
mod write;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use diesel::PgConnection;
use serde::Serialize;
use serde_json::json;

use crate::auth::policy::{self, Action};
use crate::auth::CurrentUser;
use crate::domain::import::cells::Cell;
use crate::domain::import::mapping::{Layout, Mapping};
use crate::domain::import::read::{self, Event, ReadError};
use crate::domain::import::{Field, Problem};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::i18n::{k, Lang};
use crate::models::audit::{self, NewAudit};
use crate::models::import_run::{self, NewRun, Progress, Run, RunKind, RunState};
pub use row::{Lookups, Parsed, Row};

/// Rows per transaction: large enough that a batch costs about a dozen
/// statements whatever its size, small enough to stay under PostgreSQL's
/// 65,535 parameters per statement (a case has about 45 columns).
pub const BATCH: usize = 500;

/// Report lines kept with a run (the errors file has every rejected row).
pub const REPORT_MAX: usize = 1000;

/// Rows shown in the preview.
pub const PREVIEW_ROWS: usize = 20;

/// A run whose progress has not moved for this long was interrupted (its
/// process ended): it is marked failed when the next run starts, and running
/// the file again resumes it.
pub const ABANDONED_MINUTES: i64 = 10;

/// The largest register accepted from the web form.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Who runs an import: an administrator, from the web or the command line.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: i64,
    pub meta: RequestMeta,
    pub lang: Lang,
}

impl Actor {
    /// A signed-in user, if they may import.
    pub fn of(me: &CurrentUser, meta: &RequestMeta) -> Result<Actor, AppError> {
        policy::require(me, Action::ImportRecords)?;
        Ok(Actor {
            id: me.id,
            meta: meta.clone(),
            lang: me.lang,
        })
    }

    /// The command line's operator acts as an administrator account: the one
    /// named, else the first active one (the timeline says who ran it).
    pub fn cli(
        conn: &mut PgConnection,
        email: Option<&str>,
        lang: Lang,
    ) -> Result<Actor, AppError> {
        let admins: Vec<(String, i64, crate::models::user::Role, bool, i32)> =
            crate::models::user::workers(conn)?
                .into_iter()
                .filter(|w| w.3 && policy::allows(w.2, Action::ImportRecords))
                .collect();
        let found = match email {
            Some(e) => admins.iter().find(|w| w.0.eq_ignore_ascii_case(e.trim())),
            None => admins.iter().min_by_key(|w| w.1),
        };
        let Some(admin) = found else {
            return Err(AppError::Invalid(k("import-no-admin")));
        };
        Ok(Actor {
            id: admin.1,
            meta: RequestMeta {
                ip: String::new(),
                user_agent: format!(
                    "cyberdesk import (cli, {})",
                    std::env::var("USER").unwrap_or_else(|_| "?".into())
                ),
                api_token_id: None,
            },
            lang,
        })
    }
}

/// One row of a run's report.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct Line {
    pub row: usize,
    pub external_id: String,
    /// `create` (dry run), `created`, `already`, `differs`, `rejected`.
    pub outcome: String,
    pub reference: Option<String>,
    /// Reasons (rejected), differing fields (differs), warnings, in the
    /// runner's language.
    pub notes: Vec<String>,
}

impl Line {
    /// The line as the command line prints it.
    pub fn text(&self, lang: Lang) -> String {
        let key = format!("import-line-{}", self.outcome);
        let reference = self.reference.clone().unwrap_or_default();
        let head = crate::i18n::t_args(
            lang,
            &key,
            &[
                ("row", &self.row.to_string()),
                ("id", &self.external_id),
                ("reference", &reference),
            ],
        );
        if self.notes.is_empty() {
            head
        } else {
            format!("{head}: {}", self.notes.join(" "))
        }
    }
}

/// Where a run stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub total: usize,
    pub done: usize,
    pub created: usize,
    pub already: usize,
    pub differing: usize,
    pub rejected: usize,
}

/// A file that cannot be read, or a mapping that does not fit it.
fn read_problem(e: ReadError) -> Problem {
    match e {
        ReadError::NotARegister => Problem::new("import-not-register"),
        ReadError::NoHeader => Problem::new("import-no-header"),
        ReadError::Broken(d) => Problem::new("import-broken").arg("detail", d),
    }
}

/// The mapping's text read, or why not.
pub fn mapping_of(text: &str) -> Result<Mapping, Problem> {
    if text.trim().is_empty() {
        Ok(Mapping::default())
    } else {
        Mapping::parse(text)
    }
}

/// The first rows as they will be read, for the preview: the header, which
/// field each column feeds, and each row's values and problems.
#[derive(Clone, Debug, Default)]
pub struct Preview {
    pub format: String,
    pub headers: Vec<String>,
    /// (field code, the column it is read from, or the constant).
    pub fields: Vec<(Field, String)>,
    pub unused: Vec<String>,
    pub rows: Vec<PreviewRow>,
}

#[derive(Clone, Debug)]
pub struct PreviewRow {
    pub row_no: usize,
    pub values: Vec<(Field, String)>,
    pub problems: Vec<String>,
}

/// Reads the header and the first `PREVIEW_ROWS` rows (nothing is written).
pub fn preview(
    conn: &mut PgConnection,
    bytes: &[u8],
    mapping: &Mapping,
    unit_id: i32,
    lang: Lang,
) -> Result<Result<Preview, Problem>, AppError> {
    let lookups = lookups(conn, unit_id)?;
    let mut out = Preview::default();
    let mut layout: Option<Layout> = None;
    let mut problem = None;
    let format = read::read(bytes, mapping.header_row, &mut |e| match e {
        Event::Rows(_) => true,
        Event::Header(h) => match mapping.layout(&h) {
            Ok(l) => {
                out.fields = Field::all()
                    .filter_map(|f| {
                        l.by_field
                            .get(&f)
                            .and_then(|c| h.get(*c).cloned())
                            .or_else(|| {
                                mapping
                                    .constants
                                    .iter()
                                    .find(|(cf, _)| *cf == f)
                                    .map(|(_, v)| format!("= {v}"))
                            })
                            .map(|c| (f, c))
                    })
                    .collect();
                out.unused = l.unused.clone();
                out.headers = h;
                layout = Some(l);
                true
            }
            Err(p) => {
                problem = Some(p);
                false
            }
        },
        Event::Row(n, cells) => {
            let Some(l) = &layout else { return false };
            let values = mapping.apply(l, &cells);
            let parsed = row::parse(n, &values, &lookups, false);
            let mut problems: Vec<String> = match &parsed.parsed {
                Ok(_) => Vec::new(),
                Err(ps) => ps.iter().map(|p| field_problem(p, lang)).collect(),
            };
            problems.extend(parsed.warnings.iter().map(|p| field_problem(p, lang)));
            out.rows.push(PreviewRow {
                row_no: n,
                values: values.iter().map(|(f, c)| (*f, c.text())).collect(),
                problems,
            });
            out.rows.len() < PREVIEW_ROWS
        }
    });
    if let Some(p) = problem {
        return Ok(Err(p));
    }
    match format {
        Ok(f) => {
            out.format = f.describe();
            Ok(Ok(out))
        }
        Err(e) => Ok(Err(read_problem(e))),
    }
}

fn lookups(conn: &mut PgConnection, unit_id: i32) -> Result<Lookups, AppError> {
    let unit = crate::models::unit::find(conn, unit_id)?;
    let tz = unit
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    Lookups::load(conn, unit_id, tz)
}

/// A problem with the field it concerns named in the reader's language.
fn field_problem(p: &Problem, lang: Lang) -> String {
    let mut p = p.clone();
    for (name, v) in p.args.iter_mut() {
        if *name == "field" {
            if let Some(f) = Field::from_code(v) {
                *v = f.header(lang == Lang::Vi).to_owned();
            }
        }
    }
    p.text(lang)
}

/// Where the run's file and its rejected rows live (outside the web root).
pub fn import_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("imports")
}

pub fn errors_path(data_dir: &Path, run_id: i64) -> PathBuf {
    import_dir(data_dir).join(format!("{run_id}-errors.csv"))
}

/// What a new run is of.
pub struct NewFile<'a> {
    pub file_name: &'a str,
    pub file_key: &'a str,
    pub sha256: &'a str,
    pub size: i64,
    /// How it was read ("CSV, UTF-8, “;”"), once known.
    pub format: &'a str,
}

/// The checked settings of a run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub unit_id: i32,
    pub source: String,
    pub mapping_text: String,
    pub link_suggestions: bool,
}

/// Why the chosen settings cannot be used: the form's fields, and the
/// mapping's mistake in full (with where it is).
#[derive(Debug, Default)]
pub struct Refused {
    pub errors: crate::domain::form::FormErrors,
    pub mapping: Option<Problem>,
}

/// Checks what the admin chose: a unit, a source name, a mapping that reads.
pub fn settings(
    conn: &mut PgConnection,
    unit_code: &str,
    source: &str,
    mapping_text: &str,
    link_suggestions: bool,
) -> Result<Result<Settings, Refused>, AppError> {
    let mut e = crate::domain::form::FormErrors::default();
    let unit = if unit_code.trim().is_empty() {
        Some(crate::models::unit::first_active(conn)?)
    } else {
        crate::models::unit::find_active(conn, unit_code.trim())?.map(|u| u.id)
    };
    if unit.is_none() {
        e.add("unit", k("import-unknown-unit"));
    }
    let mapping = mapping_of(mapping_text);
    let source = source.trim();
    let source = if source.is_empty() {
        mapping
            .as_ref()
            .ok()
            .and_then(|m| m.source.clone())
            .unwrap_or_default()
    } else {
        source.to_owned()
    };
    if source.is_empty() {
        e.add("source", k("import-no-source"));
    } else if source.chars().count() > 200 {
        e.add("source", k("field-too-long"));
    }
    let mut refused = Refused::default();
    if let Err(p) = mapping {
        e.add("mapping", crate::i18n::MsgKey(p.key));
        refused.mapping = Some(p);
    }
    if !e.is_empty() {
        refused.errors = e;
        return Ok(Err(refused));
    }
    Ok(Ok(Settings {
        unit_id: unit.unwrap_or_default(),
        source,
        mapping_text: mapping_text.to_owned(),
        link_suggestions,
    }))
}

/// Records a run (an upload, a dry run or an import) and audits it.
pub fn start(
    conn: &mut PgConnection,
    actor: &Actor,
    kind: RunKind,
    upload: Option<&Run>,
    file: &NewFile<'_>,
    s: &Settings,
    via: &str,
) -> Result<Run, AppError> {
    use diesel::Connection;
    conn.transaction(|conn| {
        import_run::fail_abandoned(
            conn,
            Utc::now() - chrono::Duration::minutes(ABANDONED_MINUTES),
        )?;
        if let Some(u) = upload {
            if kind == RunKind::Import && import_run::busy(conn, u.id)? {
                return Err(AppError::Invalid(k("import-busy")));
            }
        }
        let run = import_run::insert(
            conn,
            &NewRun {
                kind,
                upload_id: upload.map(|u| u.id),
                unit_id: s.unit_id,
                source: &s.source,
                file_name: file.file_name,
                file_key: file.file_key,
                file_sha256: file.sha256,
                file_size: file.size,
                format: file.format,
                mapping: &s.mapping_text,
                link_suggestions: s.link_suggestions,
                state: if kind == RunKind::Upload {
                    RunState::Done
                } else {
                    RunState::Queued
                },
                via,
                started_by: Some(actor.id),
            },
        )?;
        let action = match kind {
            RunKind::Upload => "import_upload",
            RunKind::DryRun => "import_dry_run",
            RunKind::Import => "import_run",
        };
        audit::append(
            conn,
            &actor.meta,
            NewAudit {
                actor_id: Some(actor.id),
                action,
                target_type: Some("import"),
                target_id: Some(run.id.to_string()),
                detail: json!({
                    "file": file.file_name,
                    "sha256": file.sha256,
                    "source": s.source,
                    "unit": s.unit_id,
                    "via": via,
                }),
            },
        )?;
        Ok(run)
    })
}

/// Runs a recorded dry run or import over `bytes`: progress written after
/// each batch, every line handed to `on_line`, rejected rows written to the
/// errors file. The run ends `done` (or `failed`, with why).
pub fn execute(
    conn: &mut PgConnection,
    run: &Run,
    actor: &Actor,
    bytes: &[u8],
    errors_file: Option<&Path>,
    on_line: &mut dyn FnMut(&Line),
    on_progress: &mut dyn FnMut(&Counts),
) -> Result<Counts, AppError> {
    let outcome = execute_inner(conn, run, actor, bytes, errors_file, on_line, on_progress);
    let (state, error) = match &outcome {
        Ok(Ok(_)) => (RunState::Done, None),
        Ok(Err(p)) => (RunState::Failed, Some(p.text(actor.lang))),
        Err(e) => {
            // The cause goes to the log; the page says what to do.
            log::error!("import run {} failed: {e:?}", run.id);
            (
                RunState::Failed,
                Some(crate::i18n::t(actor.lang, "import-failed")),
            )
        }
    };
    import_run::update(
        conn,
        run.id,
        &Progress {
            state: Some(state),
            error: Some(error),
            finished_at: Some(Some(Utc::now())),
            ..Default::default()
        },
    )?;
    match outcome {
        Ok(Ok(c)) => {
            if c.created > 0 {
                // The hot list includes the imported cases at once.
                crate::services::identifiers::refresh_hot_lists(conn, chrono::Duration::zero())?;
            }
            Ok(c)
        }
        Ok(Err(p)) => Err(AppError::Invalid(crate::i18n::MsgKey(p.key))),
        Err(e) => Err(e),
    }
}

/// What the writer hands back after each batch: its lines and the counts.
type Written = Result<(Vec<Line>, Counts), AppError>;

fn execute_inner(
    conn: &mut PgConnection,
    run: &Run,
    actor: &Actor,
    bytes: &[u8],
    errors_file: Option<&Path>,
    on_line: &mut dyn FnMut(&Line),
    on_progress: &mut dyn FnMut(&Counts),
) -> Result<Result<Counts, Problem>, AppError> {
    let mapping = match mapping_of(&run.mapping) {
        Ok(m) => m,
        Err(p) => return Ok(Err(p)),
    };
    // About how many rows, as the file says before it is read (for progress).
    let total = std::sync::atomic::AtomicUsize::new(0);
    let lang = actor.lang;
    let lookups = lookups(conn, run.unit_id)?;
    let target = write::Target::load(
        conn,
        run.unit_id,
        run.id,
        &run.source,
        actor.id,
        actor.meta.clone(),
    )?;
    import_run::update(
        conn,
        run.id,
        &Progress {
            state: Some(RunState::Running),
            ..Default::default()
        },
    )?;
    let mut errors_csv = match errors_file {
        Some(p) => {
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).map_err(AppError::internal)?;
            }
            Some(csv::Writer::from_writer(std::io::BufWriter::new(
                std::fs::File::create(p).map_err(AppError::internal)?,
            )))
        }
        None => None,
    };
    let mut layout: Option<Layout> = None;
    let mut headers: Vec<String> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
    let mut failure: Option<AppError> = None;
    let mut problem: Option<Problem> = None;
    let mut last = Counts::default();

    // The file is read and its rows checked here while a second thread
    // writes the batch before: the two overlap, and the database never
    // waits for the parsing.
    let wconn: &mut PgConnection = &mut *conn;
    let (format, written) = std::thread::scope(|scope| {
        let (to_writer, batches) = std::sync::mpsc::sync_channel::<Vec<Row>>(1);
        let (to_reader, results) = std::sync::mpsc::channel::<Written>();
        let (target, total) = (&target, &total);
        let writer = scope.spawn(move || -> Result<(), AppError> {
            let mut counts = Counts::default();
            let mut report: Vec<Line> = Vec::new();
            for rows in batches {
                counts.total = total.load(std::sync::atomic::Ordering::Relaxed);
                let done = write_batch(wconn, run, target, lang, rows, &mut counts, &mut report);
                let failed = done.is_err();
                let _ = to_reader.send(done.map(|lines| (lines, counts.clone())));
                if failed {
                    break;
                }
            }
            Ok(())
        });
        let mut deliver = |r: Written, last: &mut Counts| -> Result<(), AppError> {
            let (lines, counts) = r?;
            for l in &lines {
                on_line(l);
            }
            on_progress(&counts);
            *last = counts;
            Ok(())
        };
        let format = read::read(bytes, mapping.header_row, &mut |e| match e {
            Event::Rows(n) => {
                total.store(n.saturating_sub(1), std::sync::atomic::Ordering::Relaxed);
                true
            }
            Event::Header(h) => match mapping.layout(&h) {
                Ok(l) => {
                    if let Some(w) = errors_csv.as_mut() {
                        let mut rec = h.clone();
                        rec.push(crate::i18n::t(lang, "import-reason-column"));
                        if let Err(e) = w.write_record(&rec) {
                            failure = Some(AppError::internal(e));
                            return false;
                        }
                    }
                    headers = h;
                    layout = Some(l);
                    true
                }
                Err(p) => {
                    problem = Some(p);
                    false
                }
            },
            Event::Row(n, cells) => {
                let Some(l) = &layout else { return false };
                let values = mapping.apply(l, &cells);
                let mut r = row::parse(n, &values, &lookups, run.link_suggestions);
                if !r.external_id.is_empty() {
                    if let Some(first) = seen.get(&r.external_id) {
                        let p = Problem::new("import-duplicate-id").arg("row", first.to_string());
                        match &mut r.parsed {
                            Err(ps) => ps.push(p),
                            Ok(_) => r.parsed = Err(vec![p]),
                        }
                    } else {
                        seen.insert(r.external_id.clone(), n);
                    }
                }
                // A rejected row goes to the errors file as it was, with why.
                if let (Err(problems), Some(w)) = (&r.parsed, errors_csv.as_mut()) {
                    let mut rec: Vec<String> = (0..headers.len())
                        .map(|i| cells.get(i).map(Cell::text).unwrap_or_default())
                        .collect();
                    let why: Vec<String> =
                        problems.iter().map(|p| field_problem(p, lang)).collect();
                    rec.push(why.join(" "));
                    if let Err(e) = w.write_record(&rec) {
                        failure = Some(AppError::internal(e));
                        return false;
                    }
                }
                batch.push(r);
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if to_writer.send(full).is_err() {
                        return false;
                    }
                    for r in results.try_iter() {
                        if let Err(e) = deliver(r, &mut last) {
                            failure = Some(e);
                            return false;
                        }
                    }
                }
                true
            }
        });
        if failure.is_none() && problem.is_none() && format.is_ok() && !batch.is_empty() {
            let _ = to_writer.send(std::mem::take(&mut batch));
        }
        drop(to_writer);
        let joined = writer
            .join()
            .unwrap_or_else(|_| Err(AppError::internal("import: the writer stopped")));
        let mut outcome = joined;
        for r in results.try_iter() {
            if let Err(e) = deliver(r, &mut last) {
                outcome = Err(e);
            }
        }
        (format, outcome)
    });
    if let Some(e) = failure {
        return Err(e);
    }
    written?;
    if let Some(p) = problem {
        return Ok(Err(p));
    }
    let format = match format {
        Ok(f) => f,
        Err(e) => return Ok(Err(read_problem(e))),
    };
    if let Some(mut w) = errors_csv {
        w.flush().map_err(AppError::internal)?;
    }
    // Every row read: the total is now exact.
    last.total = last.done;
    import_run::update(
        conn,
        run.id,
        &Progress {
            format: Some(format.describe()),
            rows_total: Some(i32::try_from(last.done).ok()),
            ..Default::default()
        },
    )?;
    Ok(Ok(last))
}

/// One batch: what is already there (and whether it changed), the new cases
/// written (not in a dry run), the counts and the kept report updated.
fn write_batch(
    conn: &mut PgConnection,
    run: &Run,
    target: &write::Target,
    lang: Lang,
    batch: Vec<Row>,
    counts: &mut Counts,
    report: &mut Vec<Line>,
) -> Result<Vec<Line>, AppError> {
    let dry = run.kind != RunKind::Import;
    let ids: Vec<&str> = batch
        .iter()
        .filter(|r| !r.external_id.is_empty())
        .map(|r| r.external_id.as_str())
        .collect();
    let existing = import_run::existing(conn, run.unit_id, &run.source, &ids)?;
    let mut lines: Vec<Line> = Vec::with_capacity(batch.len());
    let mut to_create: Vec<(&Row, &Parsed)> = Vec::new();
    let mut create_at: Vec<usize> = Vec::new();
    for r in &batch {
        let mut line = Line {
            row: r.row_no,
            external_id: r.external_id.clone(),
            outcome: String::new(),
            reference: None,
            notes: Vec::new(),
        };
        match (&r.parsed, existing.get(&r.external_id)) {
            (Err(problems), _) => {
                line.outcome = "rejected".into();
                line.notes = problems.iter().map(|p| field_problem(p, lang)).collect();
            }
            (Ok(_), Some(before)) => {
                let diff = row::differences(&before.data, &r.data);
                line.reference = Some(before.reference.clone());
                if diff.is_empty() {
                    line.outcome = "already".into();
                } else {
                    line.outcome = "differs".into();
                    line.notes = diff
                        .iter()
                        .filter_map(|f| Field::from_code(f))
                        .map(|f| f.header(lang == Lang::Vi).to_owned())
                        .collect();
                }
            }
            (Ok(p), None) => {
                line.outcome = if dry { "create" } else { "created" }.into();
                line.notes = vec![summary(p, lang, target.tz)];
                line.notes
                    .extend(r.warnings.iter().map(|p| field_problem(p, lang)));
                create_at.push(lines.len());
                to_create.push((r, p));
            }
        }
        lines.push(line);
    }
    if !dry {
        let refs = write::create(conn, target, &to_create)?;
        for (i, reference) in create_at.iter().zip(refs) {
            lines[*i].reference = Some(reference);
        }
    }
    for line in &lines {
        counts.done += 1;
        match line.outcome.as_str() {
            "create" | "created" => counts.created += 1,
            "already" => counts.already += 1,
            "differs" => counts.differing += 1,
            _ => counts.rejected += 1,
        }
        // Worth keeping: what is wrong or different; for a dry run also the
        // first creations, to show what a row becomes.
        let keep = !matches!(line.outcome.as_str(), "created" | "already")
            && (line.outcome != "create" || report.len() < 200);
        if keep && report.len() < REPORT_MAX {
            report.push(line.clone());
        }
    }
    // The tables grow a lot in one run: fresh statistics after batches
    // 1, 4, 16, 64… keep the look-ups on their indexes.
    let n = counts.done.div_ceil(BATCH);
    if n.is_power_of_two() && n.trailing_zeros() % 2 == 0 {
        import_run::analyze(conn)?;
    }
    import_run::update(
        conn,
        run.id,
        &Progress {
            rows_done: Some(counts.done as i32),
            rows_total: Some(i32::try_from(counts.total.max(counts.done)).ok()),
            created: Some(counts.created as i32),
            already: Some(counts.already as i32),
            differing: Some(counts.differing as i32),
            rejected: Some(counts.rejected as i32),
            report: Some(json!(report)),
            ..Default::default()
        },
    )?;
    Ok(lines)
}

/// What a row becomes, in a line: "Tố giác… · 06/03/2024 10:30 · Đã đóng · 5.000.000 ₫ · 2 dấu hiệu".
fn summary(p: &Parsed, lang: Lang, tz: chrono_tz::Tz) -> String {
    let mut parts = vec![
        crate::i18n::t(lang, p.case_type.label_key()),
        crate::i18n::fmt_datetime(&p.received_at, tz),
        crate::i18n::t(lang, p.status.label_key()),
    ];
    if p.amount > 0 {
        parts.push(crate::domain::value::fmt_vnd(p.amount));
    }
    let ids = usize::from(p.account_id.is_some())
        + usize::from(p.reporter_phone_id.is_some())
        + p.suspects.len()
        + p.suggestions.len();
    if ids > 0 {
        parts.push(crate::i18n::t_args(
            lang,
            "import-identifiers",
            &[("n", &ids.to_string())],
        ));
    }
    parts.join(" · ")
}

/// The canonical header row as CSV (UTF-8 with BOM, so Excel opens it right).
pub fn template_csv(lang: Lang) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let mut w = csv::Writer::from_writer(&mut out);
    let _ = w.write_record(crate::domain::import::template_headers(lang == Lang::Vi));
    let _ = w.flush();
    drop(w);
    out
}

/// The lines kept with a run.
pub fn report_of(run: &Run) -> Vec<Line> {
    serde_json::from_value(run.report.clone()).unwrap_or_default()
}

/// The runs list, newest first.
pub fn recent(
    conn: &mut PgConnection,
    me: &CurrentUser,
    page: i64,
) -> Result<(Vec<Run>, i64), AppError> {
    policy::require(me, Action::ImportRecords)?;
    let per = 20;
    Ok((
        import_run::recent(conn, per, (page.max(1) - 1) * per)?,
        import_run::count(conn)?,
    ))
}

/// One run, with the runs of its upload.
pub fn find(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: i64,
) -> Result<(Run, Vec<Run>), AppError> {
    policy::require(me, Action::ImportRecords)?;
    let run = import_run::find(conn, id).map_err(|_| AppError::NotFound)?;
    let runs = if run.kind == RunKind::Upload {
        import_run::of_upload(conn, run.id)?
    } else {
        Vec::new()
    };
    Ok((run, runs))
}

/// Writes `bytes` where the runs of an upload read it.
pub fn keep_file(data_dir: &Path, key: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = import_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let mut f = std::fs::File::create(dir.join(key))?;
    f.write_all(bytes)?;
    f.sync_all()
}
