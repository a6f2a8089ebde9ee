//! `/admin/import`: the handover import from the browser (administrators).
//! Upload a register; see how its first rows will be read; dry-run it; import
//! it. A run works in its own thread with its own connection, and its page
//! shows the progress (refreshing itself, no JavaScript) and then the report.

use actix_multipart::Multipart;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::form::FormErrors;
use crate::domain::import::Field;
use crate::error::AppError;
use crate::i18n::{k, Lang};
use crate::models::import_run::{Run, RunKind, RunState};
use crate::routes::multipart::{self, Limits};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other};
use crate::services::import::{self, Actor, Line, Preview};
use crate::services::units::{self, UnitView};

/// What the upload form sent, re-shown when it is refused.
#[derive(Clone, Debug, Default)]
pub struct UploadForm {
    source: String,
    unit: String,
    mapping: String,
    link_suggestions: bool,
}

#[derive(Template)]
#[template(path = "admin/import/index.html")]
struct IndexPage {
    layout: LayoutCtx,
    form: UploadForm,
    errors: FormErrors,
    /// A mistake that needs its details (the mapping's, the file's).
    problem: Option<String>,
    units: Vec<UnitView>,
    runs: Vec<Run>,
    page: i64,
    pages: i64,
}

#[derive(Template)]
#[template(path = "admin/import/show.html")]
struct RunPage {
    layout: LayoutCtx,
    run: Run,
    /// An upload's preview, or why its file cannot be read.
    preview: Option<Result<Preview, String>>,
    runs: Vec<Run>,
    lines: Vec<Line>,
    unit_name: String,
    has_errors_file: bool,
}

/// "12 created, 3 already there, 0 differing, 1 rejected".
fn counts_text(lang: Lang, r: &Run) -> String {
    crate::i18n::t_args(
        lang,
        "import-counts",
        &[
            ("created", &r.created.to_string()),
            ("already", &r.already.to_string()),
            ("differing", &r.differing.to_string()),
            ("rejected", &r.rejected.to_string()),
        ],
    )
}

impl RunPage {
    fn field_name(&self, f: &Field) -> &'static str {
        f.header(self.layout.lang == Lang::Vi)
    }
    fn running(&self) -> bool {
        matches!(self.run.state, RunState::Queued | RunState::Running)
    }
    fn outcome_key(&self, outcome: &str) -> String {
        format!("import-outcome-{outcome}")
    }
    fn counts(&self, r: &Run) -> String {
        counts_text(self.layout.lang, r)
    }
    fn progress(&self) -> String {
        crate::i18n::t_args(
            self.layout.lang,
            "import-progress",
            &[
                ("done", &self.run.rows_done.to_string()),
                (
                    "total",
                    &self
                        .run
                        .rows_total
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "…".into()),
                ),
            ],
        )
    }
    fn preview_title(&self, n: usize) -> String {
        self.layout.t1("import-preview", "n", &n)
    }
    fn report_cut(&self) -> String {
        self.layout.t1("import-report-cut", "n", &self.lines.len())
    }
    fn confirm(&self) -> String {
        crate::i18n::t_args(
            self.layout.lang,
            "import-run-confirm",
            &[("file", &self.run.file_name), ("unit", &self.unit_name)],
        )
    }
}

impl IndexPage {
    fn counts(&self, r: &Run) -> String {
        counts_text(self.layout.lang, r)
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    lang: Option<String>,
}

async fn index_page(
    ctx: &Ctx,
    me: CurrentUser,
    status: StatusCode,
    form: UploadForm,
    (errors, problem): (FormErrors, Option<String>),
    page: i64,
) -> Result<HttpResponse, AppError> {
    let ((runs, total), units) = db::run(&ctx.state.pool, move |conn| {
        Ok((
            import::recent(conn, &me, page)?,
            units::list(conn, Some(&me))?,
        ))
    })
    .await?;
    render(
        status,
        &IndexPage {
            layout: ctx.layout(),
            form,
            errors,
            problem,
            units: units.into_iter().filter(|u| u.unit.active).collect(),
            runs,
            page: page.max(1),
            pages: ((total + 19) / 20).max(1),
        },
    )
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ImportRecords)?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    index_page(
        &ctx,
        me,
        StatusCode::OK,
        UploadForm::default(),
        (FormErrors::default(), None),
        page,
    )
    .await
}

/// The canonical header row as a CSV file.
pub async fn template(me: CurrentUser, q: web::Query<PageQuery>) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ImportRecords)?;
    let lang = if q.lang.as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Vi
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"cyberdesk-import-{}.csv\"",
                lang.code()
            ),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(import::template_csv(lang)))
}

pub async fn upload(
    ctx: Ctx,
    me: CurrentUser,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ImportRecords)?;
    let cfg = &ctx.state.config;
    let limits = Limits {
        max_fields: 10,
        name_chars: 40,
        field_bytes: 64 * 1024,
        cut_long_text: false,
        text_total_bytes: 128 * 1024,
        file_field: "file",
        max_files: 1,
        file_bytes: import::MAX_FILE_BYTES,
        total_bytes: Some(import::MAX_FILE_BYTES + 256 * 1024),
        any_type: true,
        oversize_fails: false,
    };
    let parts = multipart::read(cfg, payload, &ctx.req.csrf, &limits, &|_| true).await?;
    let form = UploadForm {
        source: parts.input.get("source").trim().to_owned(),
        unit: parts.input.get("unit").trim().to_owned(),
        mapping: parts.input.get("mapping").to_owned(),
        link_suggestions: !parts.input.get("link_suggestions").is_empty(),
    };
    let data_dir = cfg.data_dir.clone();
    let stored = match parts.files.into_iter().next() {
        Some(Ok(s)) => Ok(s),
        Some(Err((_, crate::storage::Refused::TooLarge))) => Err(k("import-file-too-large")),
        Some(Err(_)) | None => Err(k("import-file-missing")),
    };
    let stored = match stored {
        Ok(s) => s,
        Err(key) => {
            let mut e = FormErrors::default();
            e.add("file", key);
            return index_page(
                &ctx,
                me,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                (e, None),
                1,
            )
            .await;
        }
    };
    // The register moves out of the evidence folder (whose sweep would take
    // it) into the imports folder, under the same random id.
    let key = stored.storage_id.clone();
    let (from, dir) = (
        crate::storage::evidence_dir(&data_dir).join(&key),
        import::import_dir(&data_dir),
    );
    web::block(move || {
        std::fs::create_dir_all(&dir)?;
        std::fs::rename(from, dir.join(key))
    })
    .await?
    .map_err(AppError::internal)?;
    let (who, meta, f, lang) = (me.clone(), ctx.req.meta.clone(), form.clone(), ctx.req.lang);
    let outcome = db::run(&ctx.state.pool, move |conn| {
        let actor = Actor::of(&who, &meta)?;
        let path = import::import_dir(&data_dir).join(&stored.storage_id);
        let s = match import::settings(conn, &f.unit, &f.source, &f.mapping, f.link_suggestions)? {
            Ok(s) => s,
            Err(r) => {
                // Refused: the file is not kept.
                let _ = std::fs::remove_file(&path);
                return Ok(Err((r.errors, r.mapping.map(|p| p.text(lang)))));
            }
        };
        let bytes = std::fs::read(&path).map_err(AppError::internal)?;
        let mapping = import::mapping_of(&s.mapping_text).unwrap_or_default();
        let preview = match import::preview(conn, &bytes, &mapping, s.unit_id, lang)? {
            Ok(p) => p,
            Err(p) => {
                let _ = std::fs::remove_file(&path);
                let mut e = FormErrors::default();
                e.add("file", crate::i18n::MsgKey(p.key));
                return Ok(Err((e, Some(p.text(lang)))));
            }
        };
        let run = import::start(
            conn,
            &actor,
            RunKind::Upload,
            None,
            &import::NewFile {
                file_name: &stored.original_name,
                file_key: &stored.storage_id,
                sha256: &stored.sha256,
                size: stored.size,
                format: &preview.format,
            },
            &s,
            "web",
        )?;
        Ok(Ok(run.id))
    })
    .await?;
    match outcome {
        Ok(id) => Ok(see_other(&format!("/admin/import/{id}"))),
        Err(errors) => {
            index_page(&ctx, me, StatusCode::UNPROCESSABLE_ENTITY, form, errors, 1).await
        }
    }
}

pub async fn show(ctx: Ctx, me: CurrentUser, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ImportRecords)?;
    let (id, data_dir, lang) = (
        id.into_inner(),
        ctx.state.config.data_dir.clone(),
        ctx.req.lang,
    );
    let page = db::run(&ctx.state.pool, move |conn| {
        let (run, runs) = import::find(conn, &me, id)?;
        let preview = if run.kind == RunKind::Upload {
            let path = import::import_dir(&data_dir).join(&run.file_key);
            match std::fs::read(&path) {
                Ok(bytes) => {
                    let mapping = import::mapping_of(&run.mapping).unwrap_or_default();
                    Some(
                        import::preview(conn, &bytes, &mapping, run.unit_id, lang)?
                            .map_err(|p| p.text(lang)),
                    )
                }
                Err(_) => Some(Err(crate::i18n::t(lang, "import-not-register"))),
            }
        } else {
            None
        };
        let unit_name = crate::services::units::name_now(conn, run.unit_id)?;
        let has_errors_file = run.rejected > 0 && import::errors_path(&data_dir, run.id).exists();
        let lines = import::report_of(&run);
        Ok((run, runs, preview, unit_name, has_errors_file, lines))
    })
    .await?;
    let (run, runs, preview, unit_name, has_errors_file, lines) = page;
    render(
        StatusCode::OK,
        &RunPage {
            layout: ctx.layout(),
            run,
            preview,
            runs,
            lines,
            unit_name,
            has_errors_file,
        },
    )
}

/// Starts a dry run (`/dry-run`) or the import (`/run`) of an upload.
pub async fn start(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ImportRecords)?;
    let (id, what) = path.into_inner();
    let kind = match what.as_str() {
        "dry-run" => RunKind::DryRun,
        "run" => RunKind::Import,
        _ => return Err(AppError::NotFound),
    };
    let (who, meta, data_dir) = (
        me.clone(),
        ctx.req.meta.clone(),
        ctx.state.config.data_dir.clone(),
    );
    let (run, actor) = db::run(&ctx.state.pool, move |conn| {
        let actor = Actor::of(&who, &meta)?;
        let (upload, _) = import::find(conn, &who, id)?;
        if upload.kind != RunKind::Upload {
            return Err(AppError::NotFound);
        }
        if !import::import_dir(&data_dir)
            .join(&upload.file_key)
            .exists()
        {
            return Err(AppError::Invalid(k("import-not-register")));
        }
        let s = import::Settings {
            unit_id: upload.unit_id,
            source: upload.source.clone(),
            mapping_text: upload.mapping.clone(),
            link_suggestions: upload.link_suggestions,
        };
        let file = import::NewFile {
            file_name: &upload.file_name,
            file_key: &upload.file_key,
            sha256: &upload.file_sha256,
            size: upload.file_size,
            format: &upload.format,
        };
        let run = import::start(conn, &actor, kind, Some(&upload), &file, &s, "web")?;
        Ok((run, actor))
    })
    .await?;
    let run_id = run.id;
    let (url, data_dir) = (
        ctx.state.config.database_url.clone(),
        ctx.state.config.data_dir.clone(),
    );
    // Its own thread and connection: an import of 100,000 rows takes a
    // minute, and must hold neither a worker nor a pooled connection.
    std::thread::Builder::new()
        .name(format!("import-{run_id}"))
        .spawn(move || {
            let bytes = match std::fs::read(import::import_dir(&data_dir).join(&run.file_key)) {
                Ok(b) => b,
                Err(e) => {
                    log::error!("import {run_id}: cannot read its file: {e}");
                    return;
                }
            };
            let mut conn = match db::connect(&url) {
                Ok(c) => c,
                Err(e) => {
                    log::error!("import {run_id}: no connection: {e}");
                    return;
                }
            };
            let errors = import::errors_path(&data_dir, run_id);
            if let Err(e) = import::execute(
                &mut conn,
                &run,
                &actor,
                &bytes,
                Some(&errors),
                &mut |_| {},
                &mut |_| {},
            ) {
                log::warn!("import {run_id} ended: {e}");
            }
        })
        .map_err(AppError::internal)?;
    Ok(see_other(&format!("/admin/import/{run_id}")))
}

/// The rejected rows of a run, with their reasons, as CSV.
pub async fn errors(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ImportRecords)?;
    let (id, data_dir) = (id.into_inner(), ctx.state.config.data_dir.clone());
    let run = db::run(&ctx.state.pool, move |conn| {
        Ok(import::find(conn, &me, id)?.0)
    })
    .await?;
    let path = import::errors_path(&data_dir, run.id);
    let file = web::block(move || std::fs::File::open(path))
        .await?
        .map_err(|_| AppError::NotFound)?;
    let size = file.metadata().map(|m| m.len() as i64).unwrap_or(0);
    Ok(crate::routes::evidence::attachment(
        file,
        size,
        "text/csv; charset=utf-8",
        &format!("import-{}-errors.csv", run.id),
    ))
}
