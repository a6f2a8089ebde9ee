//! The one multipart reader, for the public forms and officers' evidence: text
//! fields (bounded) and files streamed to storage under their size limit,
//! hashed as they arrive. Every file operation (creating, writing, finishing,
//! removing) runs in `web::block`, never on the async worker: actix has one
//! worker per core, and a slow disk must not stall every other request.

use actix_multipart::{Field, Multipart};
use actix_web::web;
use futures_util::TryStreamExt;

use crate::config::Config;
use crate::domain::form::FormInput;
use crate::domain::token::tokens_match;
use crate::error::AppError;
use crate::storage::{Refused, Stored, Upload};

/// Bytes handed to the writer thread at a time: large enough that the
/// hand-off costs nothing next to the write, small enough to keep memory flat.
const WRITE_BATCH: usize = 1 << 20;

/// The name of the CSRF field, which must be the first part of every body.
const CSRF_FIELD: &str = "csrf_token";

/// The POST routes whose multipart bodies are read here, and whose CSRF token
/// the request middleware therefore leaves to `read` (any other multipart
/// POST is refused there without a token).
pub fn checks_token(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        segments.as_slice(),
        ["report", _] | ["track", "add"] | ["cases", _, "exhibits"] | ["admin", "import"]
    )
}

/// What one kind of form may carry.
pub struct Limits {
    /// Parts of the body; more is refused (413).
    pub max_fields: usize,
    /// Characters of a part's name that are kept.
    pub name_chars: usize,
    /// Bytes of one text field kept. Past it the request is refused (413), or
    /// with `cut_long_text` the field is cut there and the rest drained: the
    /// form's own validation then says it is too long, next to the field,
    /// with everything else the person typed kept.
    pub field_bytes: usize,
    pub cut_long_text: bool,
    /// Bytes of all text fields together; past it the body is abuse (413).
    pub text_total_bytes: usize,
    /// The name of the file input, and how many files of it are read as files
    /// (further parts of that name are read as text fields, so bounded).
    pub file_field: &'static str,
    pub max_files: usize,
    /// Bytes of one file.
    pub file_bytes: u64,
    /// Bytes of the whole body, if bounded.
    pub total_bytes: Option<u64>,
    /// Officers' evidence: any type (it is only served as an attachment).
    pub any_type: bool,
    /// A file over its limit refuses the whole request (413) instead of being
    /// reported next to the field while the rest of the form is read.
    pub oversize_fails: bool,
}

/// A form as read: its text fields in order, and each file kept or refused
/// (with the name it was sent under).
pub struct Parts {
    pub input: FormInput,
    pub files: Vec<Result<Stored, (String, Refused)>>,
}

/// Reads the form. Its first part must be the CSRF field with `csrf` (the
/// visitor's token), or the request is refused (403) before anything else is
/// read; browsers send fields in document order, and the forms put it first.
/// Files are kept only while `accept_files` says so of the fields read before
/// them (a form that may not send any writes nothing). Empty file inputs are
/// skipped; a file refused for its type or size is reported, not kept (or,
/// with `oversize_fails`, refuses the request).
pub async fn read(
    cfg: &Config,
    mut payload: Multipart,
    csrf: &str,
    limits: &Limits,
    accept_files: &dyn Fn(&FormInput) -> bool,
) -> Result<Parts, AppError> {
    check_token(&mut payload, csrf).await?;
    let mut body = Body {
        total: 0,
        cap: limits.total_bytes,
    };
    let mut parts = Parts {
        input: FormInput::default(),
        files: Vec::new(),
    };
    let mut fields = 0;
    let mut text_total = 0;
    while let Some(mut field) = payload.try_next().await.map_err(|_| AppError::BadRequest)? {
        fields += 1;
        if fields > limits.max_fields {
            return Err(AppError::TooLarge);
        }
        let name: String = field
            .name()
            .unwrap_or("")
            .chars()
            .take(limits.name_chars)
            .collect();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        match filename {
            Some(original) if name == limits.file_field && parts.files.len() < limits.max_files => {
                if original.is_empty() || !accept_files(&parts.input) {
                    // An empty file input, or files this form may not send:
                    // drain what was sent for it, keeping nothing.
                    while body.next(&mut field).await?.is_some() {}
                    continue;
                }
                let file = read_file(cfg, &mut field, &mut body, limits, original).await?;
                parts.files.push(file);
            }
            _ => {
                let mut value = Vec::new();
                let mut cut = false;
                while let Some(chunk) = body.next(&mut field).await? {
                    text_total += chunk.len();
                    if text_total > limits.text_total_bytes {
                        return Err(AppError::TooLarge);
                    }
                    if value.len() + chunk.len() > limits.field_bytes {
                        if !limits.cut_long_text {
                            return Err(AppError::TooLarge);
                        }
                        let room = limits.field_bytes.saturating_sub(value.len());
                        value.extend_from_slice(&chunk[..room.min(chunk.len())]);
                        cut = true;
                        continue;
                    }
                    value.extend_from_slice(&chunk);
                }
                let mut text = String::from_utf8_lossy(&value).into_owned();
                if cut {
                    // A character split by the cut is dropped, not shown broken.
                    while text.ends_with('\u{fffd}') {
                        text.pop();
                    }
                }
                parts.input.pairs.push((name, text));
            }
        }
    }
    Ok(parts)
}

/// Reads the first part: the CSRF field, a text field of a bounded size.
async fn check_token(payload: &mut Multipart, csrf: &str) -> Result<(), AppError> {
    let refused = || {
        log::warn!("refused a multipart body: its first part is not a valid CSRF token");
        AppError::Csrf
    };
    let mut field = payload
        .try_next()
        .await
        .map_err(|_| AppError::BadRequest)?
        .ok_or_else(refused)?;
    let is_file = field
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .is_some();
    if is_file || field.name() != Some(CSRF_FIELD) {
        return Err(refused());
    }
    let mut value = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(|_| AppError::BadRequest)? {
        if value.len() + chunk.len() > 256 {
            return Err(refused());
        }
        value.extend_from_slice(&chunk);
    }
    match std::str::from_utf8(&value) {
        Ok(token) if tokens_match(token, csrf) => Ok(()),
        _ => Err(refused()),
    }
}

/// The body read so far, against its cap.
struct Body {
    total: u64,
    cap: Option<u64>,
}

impl Body {
    async fn next(&mut self, field: &mut Field) -> Result<Option<web::Bytes>, AppError> {
        let chunk = field.try_next().await.map_err(|_| AppError::BadRequest)?;
        if let Some(c) = &chunk {
            self.total += c.len() as u64;
            if self.cap.is_some_and(|cap| self.total > cap) {
                return Err(AppError::TooLarge);
            }
        }
        Ok(chunk)
    }
}

/// Streams one file part to storage in batches off the worker, then checks and
/// keeps it (to the bucket too, when evidence is kept in one). The inner error
/// is a file refused while the form stays readable.
async fn read_file(
    cfg: &Config,
    field: &mut Field,
    body: &mut Body,
    limits: &Limits,
    original: String,
) -> Result<Result<Stored, (String, Refused)>, AppError> {
    let shown = crate::storage::clean_name(&original);
    let (data_dir, limit, any) = (cfg.data_dir.clone(), limits.file_bytes, limits.any_type);
    let mut upload = web::block(move || {
        if any {
            Upload::start_evidence(&data_dir, &original, limit)
        } else {
            Upload::start(&data_dir, &original, limit)
        }
    })
    .await??;
    // Grown as bytes arrive: most files are far smaller than a batch, and a
    // batch reserved up front per upload would be held by every connection.
    let mut buf: Vec<u8> = Vec::new();
    let mut refused = None;
    loop {
        let chunk = match body.next(field).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                discard(upload).await;
                return Err(e);
            }
        };
        if refused.is_some() {
            // Refused already: the rest of the part is drained, not kept.
            continue;
        }
        buf.extend_from_slice(&chunk);
        if buf.len() >= WRITE_BATCH {
            let batch = std::mem::replace(&mut buf, Vec::with_capacity(WRITE_BATCH));
            let (u, r) = web::block(move || {
                let r = upload.write(&batch);
                (upload, r)
            })
            .await?;
            upload = u;
            if let Err(r) = r {
                if limits.oversize_fails {
                    discard(upload).await;
                    return Err(AppError::TooLarge);
                }
                refused = Some(r);
            }
        }
    }
    if let Some(r) = refused {
        discard(upload).await;
        return Ok(Err((shown, r)));
    }
    let (data_dir, s3) = (cfg.data_dir.clone(), cfg.s3.clone());
    let done = web::block(move || {
        upload.write(&buf)?;
        let stored = upload.finish()?;
        if let Err(e) = crate::storage::keep(&data_dir, s3.as_ref(), &stored.storage_id) {
            log::error!("keeping an uploaded file failed: {e}");
            crate::storage::remove(&data_dir, s3.as_ref(), &stored.storage_id);
            return Err(Refused::Storage);
        }
        Ok(stored)
    })
    .await?;
    match done {
        Err(Refused::TooLarge) if limits.oversize_fails => Err(AppError::TooLarge),
        done => Ok(done.map_err(|r| (shown, r))),
    }
}

/// Drops an unfinished upload (which removes its partial file) off the worker.
async fn discard(upload: Upload) {
    let _ = web::block(move || drop(upload)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upload_routes_leave_their_token_to_the_reader() {
        for path in [
            "/report/crime",
            "/report/breach",
            "/track/add",
            "/cases/PA05-TG-2026-00001/exhibits",
        ] {
            assert!(checks_token(path), "{path}");
        }
        for path in [
            "/report",
            "/track",
            "/logout",
            "/cases/PA05-TG-2026-00001/notes",
            "/cases/PA05-TG-2026-00001/exhibits/3/withdraw",
            "/admin/users/new",
        ] {
            assert!(!checks_token(path), "{path}");
        }
    }
}
