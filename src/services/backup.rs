//! Backups that restore (`docs/deploy.md`, *Backups that restore*): a
//! consistent copy of the database and of every stored file it refers to,
//! a manifest to check the copy against, and a restore that refuses to
//! overwrite anything and proves what it restored.
//!
//! Consistency: one REPEATABLE READ transaction exports its snapshot to
//! `pg_dump --snapshot` and lists the stored files in that same snapshot, so
//! the dump and the file list describe one moment. Stored files are
//! write-once under random ids, so a file listed is never changed later.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::db;
use crate::domain::token::hex;
use crate::models::database::{self, StoredRef};
use crate::services::{audit_log, import};
use crate::storage;

const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DUMP: &str = "database.dump";

/// What a backup holds, written beside it as `manifest.json`.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Manifest {
    pub format: u32,
    pub created_at: String,
    pub cyberdesk_version: String,
    pub server_version: String,
    pub database: String,
    /// Rows of every table at the snapshot.
    pub counts: BTreeMap<String, i64>,
    pub audit: AuditMark,
    /// Every file of the backup but the manifest, sorted by path.
    pub files: Vec<FileEntry>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct AuditMark {
    pub rows: i64,
    pub last_hash: String,
    pub intact: bool,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
    pub fn stored_files(&self) -> usize {
        self.files.iter().filter(|f| f.path != DUMP).count()
    }
}

/// Writes a backup of the database of `cfg` and its stored files into `dir`
/// (which must not exist or be empty).
pub fn backup(cfg: &Config, dir: &Path) -> Result<Manifest, String> {
    if dir.exists() && !is_empty_dir(dir)? {
        return Err(format!(
            "{} is not empty: a backup goes into a new or empty folder",
            dir.display()
        ));
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut conn = db::connect(&cfg.database_url).map_err(|e| {
        format!(
            "cannot connect to PostgreSQL at {}: {e}",
            db::describe_url(&cfg.database_url)
        )
    })?;
    let dump = dir.join(DUMP);
    let (server_version, counts, audit, refs) = conn
        .build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| {
            let snapshot = database::export_snapshot(conn)?;
            let server_version = database::server_version(conn)?;
            let counts = database::row_counts(conn)?;
            let refs = database::stored_files(conn)?;
            let verdict = audit_log::verify_here(conn).map_err(|e| diesel_err(e.to_string()))?;
            // The snapshot lives as long as this transaction: pg_dump runs inside it.
            pg_dump(&cfg.database_url, &snapshot, &dump).map_err(diesel_err)?;
            Ok::<_, diesel::result::Error>((
                server_version,
                counts,
                AuditMark {
                    rows: verdict.rows,
                    last_hash: hex(&verdict.last_hash),
                    intact: verdict.broken.is_none(),
                },
                refs,
            ))
        })
        .map_err(|e| format!("the database could not be backed up: {e}"))?;

    let mut files = vec![entry_of(dir, DUMP)?];
    for r in &refs {
        files.push(copy_out(cfg, dir, r)?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: FORMAT,
        created_at: chrono::Utc::now().to_rfc3339(),
        cyberdesk_version: env!("CARGO_PKG_VERSION").into(),
        server_version,
        database: db::database_name(&cfg.database_url)
            .unwrap_or_default()
            .into(),
        counts,
        audit,
        files,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    write_synced(&dir.join(MANIFEST), text.as_bytes())?;
    Ok(manifest)
}

/// Checks a backup against its manifest: every file there, of its size and
/// hash, nothing else beside them, and a dump pg_restore can read.
pub fn verify(dir: &Path) -> Result<Manifest, String> {
    let text = fs::read_to_string(dir.join(MANIFEST))
        .map_err(|e| format!("{}: no readable {MANIFEST} ({e})", dir.display()))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| format!("{MANIFEST} is damaged or not a cyberdesk manifest: {e}"))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "{MANIFEST} has format {}; this cyberdesk reads format {FORMAT}",
            manifest.format
        ));
    }
    for f in &manifest.files {
        let path = inside(dir, &f.path)?;
        let (bytes, sha) = hash_file(&path).map_err(|e| format!("{}: {e}", f.path))?;
        if bytes != f.bytes {
            return Err(format!(
                "{} is {bytes} bytes; the manifest says {}",
                f.path, f.bytes
            ));
        }
        if sha != f.sha256 {
            return Err(format!(
                "{} does not match its SHA-256 in the manifest: the file was changed or damaged",
                f.path
            ));
        }
    }
    let listed: std::collections::BTreeSet<&str> =
        manifest.files.iter().map(|f| f.path.as_str()).collect();
    for found in files_under(dir, dir)? {
        if found != MANIFEST && !listed.contains(found.as_str()) {
            return Err(format!("{found} is in the folder but not in the manifest"));
        }
    }
    let out = Command::new("pg_restore")
        .arg("--list")
        .arg(dir.join(DUMP))
        .output()
        .map_err(|e| format!("cannot run pg_restore (install PostgreSQL's client tools): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pg_restore cannot read {DUMP}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(manifest)
}

/// What a restore found when it checked its work.
pub struct Restored {
    pub manifest: Manifest,
    pub files_checked: usize,
}

/// Restores a verified backup onto the (empty) database and data folder of
/// `cfg`, then checks row counts, the audit chain and every file's hash.
pub fn restore(cfg: &Config, dir: &Path) -> Result<Restored, String> {
    let manifest = verify(dir)?;
    let evidence = storage::evidence_dir(&cfg.data_dir);
    let imports = import::import_dir(&cfg.data_dir);
    for area in [&evidence, &imports] {
        if area.exists() && !is_empty_dir(area)? {
            return Err(format!(
                "{} already holds files: restore into an empty DATA_DIR",
                area.display()
            ));
        }
    }
    // With a bucket, the files of this backup must not be there already: a
    // restore meant for a rehearsal must not write into the live bucket.
    if cfg.s3.is_some() {
        for f in &manifest.files {
            if let Some(key) = f.path.strip_prefix("evidence/") {
                if storage::exists(&cfg.data_dir, cfg.s3.as_ref(), key)
                    .map_err(|e| e.to_string())?
                {
                    return Err(format!(
                        "the bucket already holds {}: restore into an empty bucket (set S3_BUCKET to a new one, or unset it to restore onto local disk)",
                        f.path
                    ));
                }
            }
        }
    }
    db::ensure_database(&cfg.database_url).map_err(|e| {
        format!(
            "cannot create or reach the database at {}: {e}",
            db::describe_url(&cfg.database_url)
        )
    })?;
    let mut conn = db::connect(&cfg.database_url).map_err(|e| e.to_string())?;
    let tables = database::tables(&mut conn).map_err(|e| e.to_string())?;
    if !tables.is_empty() {
        return Err(format!(
            "database {} is not empty ({} tables): restore needs an empty database; create a new one and point DATABASE_URL at it",
            db::database_name(&cfg.database_url).unwrap_or("?"),
            tables.len()
        ));
    }
    pg_restore(&cfg.database_url, &dir.join(DUMP))?;

    for f in manifest.files.iter().filter(|f| f.path != DUMP) {
        let from = inside(dir, &f.path)?;
        let (area, key) = f
            .path
            .split_once('/')
            .ok_or_else(|| format!("{}: not a stored file's path", f.path))?;
        let to = match area {
            "evidence" => storage::path_of(&cfg.data_dir, key)
                .ok_or_else(|| format!("{}: not a storage id", f.path))?,
            "imports" => imports.join(safe_name(key)?),
            _ => return Err(format!("{}: unknown area {area}", f.path)),
        };
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::copy(&from, &to).map_err(|e| format!("{} → {}: {e}", f.path, to.display()))?;
        if area == "evidence" {
            storage::keep(&cfg.data_dir, cfg.s3.as_ref(), key)
                .map_err(|e| format!("{}: cannot store it: {e}", f.path))?;
        }
    }

    // Prove it: the same rows, the same chain, every file as recorded.
    let counts = database::row_counts(&mut conn).map_err(|e| e.to_string())?;
    for (table, n) in &manifest.counts {
        let got = counts.get(table).copied().unwrap_or(-1);
        if got != *n {
            return Err(format!(
                "after the restore {table} has {got} rows; the backup had {n}"
            ));
        }
    }
    let verdict = audit_log::verify(&mut conn).map_err(|e| e.to_string())?;
    let mark = AuditMark {
        rows: verdict.rows,
        last_hash: hex(&verdict.last_hash),
        intact: verdict.broken.is_none(),
    };
    if mark != manifest.audit {
        return Err(format!(
            "the restored audit log ({} rows, last hash {}) differs from the backup's ({} rows, {})",
            mark.rows, mark.last_hash, manifest.audit.rows, manifest.audit.last_hash
        ));
    }
    let refs = database::stored_files(&mut conn).map_err(|e| e.to_string())?;
    for r in &refs {
        let sha = match r.area.as_str() {
            "evidence" => storage::hash_kept(&cfg.data_dir, cfg.s3.as_ref(), &r.key)
                .map_err(|e| format!("{}/{}: {e}", r.area, r.key))?,
            _ => hash_file(&imports.join(safe_name(&r.key)?))
                .ok()
                .map(|(_, h)| h),
        };
        match sha {
            Some(h) if h == r.sha256 => {}
            Some(_) => {
                return Err(format!(
                    "{}/{}: its hash differs from the database's record",
                    r.area, r.key
                ))
            }
            None => return Err(format!("{}/{}: missing after the restore", r.area, r.key)),
        }
    }
    Ok(Restored {
        manifest,
        files_checked: refs.len(),
    })
}

fn diesel_err(message: String) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(message.into())
}

/// Copies one stored file into the backup, checking it against the
/// database's record on the way.
fn copy_out(cfg: &Config, dir: &Path, r: &StoredRef) -> Result<FileEntry, String> {
    let rel = format!("{}/{}", r.area, safe_name(&r.key)?);
    let to = dir.join(&rel);
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut from: File = match r.area.as_str() {
        "evidence" => storage::open_verified(&cfg.data_dir, cfg.s3.as_ref(), &r.key)
            .map_err(|e| format!("{rel}: {e}"))?
            .map(|(f, _)| f)
            .ok_or_else(|| format!("{rel} is recorded in the database but missing from storage"))?,
        _ => File::open(import::import_dir(&cfg.data_dir).join(&r.key))
            .map_err(|e| format!("{rel} is recorded in the database but cannot be read: {e}"))?,
    };
    let mut out = File::create(&to).map_err(|e| format!("{}: {e}", to.display()))?;
    let (mut hasher, mut bytes, mut buf) = (Sha256::new(), 0u64, vec![0u8; 1 << 20]);
    loop {
        let n = from.read(&mut buf).map_err(|e| format!("{rel}: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| format!("{rel}: {e}"))?;
        bytes += n as u64;
    }
    out.sync_all().map_err(|e| format!("{rel}: {e}"))?;
    let sha256 = hex(&hasher.finalize());
    if sha256 != r.sha256 {
        return Err(format!(
            "{rel} in storage does not match the hash the database recorded for it: the stored file was changed or damaged"
        ));
    }
    Ok(FileEntry {
        path: rel,
        bytes,
        sha256,
    })
}

/// Runs `pg_dump` of `url` at `snapshot` into `to` (custom format).
fn pg_dump(url: &str, snapshot: &str, to: &Path) -> Result<(), String> {
    pg_tool(
        "pg_dump",
        url,
        &[
            "--format=custom".into(),
            format!("--snapshot={snapshot}"),
            format!("--file={}", to.display()),
        ],
        "pg_dump failed",
    )
}

/// Restores `dump` onto `url` in one transaction: all of it or nothing.
fn pg_restore(url: &str, dump: &Path) -> Result<(), String> {
    pg_tool(
        "pg_restore",
        url,
        &[
            "--no-owner".into(),
            "--no-privileges".into(),
            "--exit-on-error".into(),
            "--single-transaction".into(),
            dump.display().to_string(),
        ],
        "pg_restore failed (nothing was restored)",
    )
}

/// Runs one of PostgreSQL's client tools against `url`. The password goes
/// by environment, not on the command line others can read.
fn pg_tool(tool: &str, url: &str, args: &[String], failed: &str) -> Result<(), String> {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(tool);
    cmd.arg(format!("--dbname={url}")).args(args);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {tool} (install PostgreSQL's client tools): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{failed}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// The URL without its password, and the password.
fn split_password(url: &str) -> (String, Option<String>) {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let password = u.password().map(|p| {
                // Percent-decoding; a literal '+' is not a space here.
                url::form_urlencoded::parse(format!("p={}", p.replace('+', "%2B")).as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            });
            let _ = u.set_password(None);
            (u.to_string(), password)
        }
        _ => (url.to_owned(), None),
    }
}

fn entry_of(dir: &Path, rel: &str) -> Result<FileEntry, String> {
    let (bytes, sha256) = hash_file(&dir.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
    Ok(FileEntry {
        path: rel.into(),
        bytes,
        sha256,
    })
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = File::open(path)?;
    let (mut hasher, mut bytes, mut buf) = (Sha256::new(), 0u64, vec![0u8; 1 << 20]);
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex(&hasher.finalize())))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn is_empty_dir(dir: &Path) -> Result<bool, String> {
    Ok(fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .next()
        .is_none())
}

/// A manifest path inside the backup folder: plain names only, so a forged
/// manifest cannot reach outside it.
fn inside(dir: &Path, rel: &str) -> Result<PathBuf, String> {
    let mut path = dir.to_path_buf();
    for part in rel.split('/') {
        path.push(safe_name(part)?);
    }
    Ok(path)
}

fn safe_name(name: &str) -> Result<&str, String> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then_some(name)
        .ok_or_else(|| format!("{name:?} is not a file name a backup holds"))
}

/// Relative paths of the files under `dir`.
fn files_under(root: &Path, dir: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            out.extend(files_under(root, &path)?);
        } else {
            let rel = path
                .strip_prefix(root)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        let (url, p) = split_password("postgres://cd:s%40cret@db:5432/cyberdesk");
        assert_eq!(url, "postgres://cd@db:5432/cyberdesk");
        assert_eq!(p.as_deref(), Some("s@cret"));
        let (url, p) = split_password("postgres://postgres@127.0.0.1/x");
        assert_eq!((url.as_str(), p), ("postgres://postgres@127.0.0.1/x", None));
    }

    #[test]
    fn manifest_paths_stay_inside() {
        let dir = Path::new("/b");
        assert!(inside(dir, "evidence/ab12").is_ok());
        for bad in [
            "../etc/passwd",
            "evidence/../../x",
            "/abs",
            "a//b",
            "evidence/a b",
        ] {
            assert!(inside(dir, bad).is_err(), "{bad}");
        }
    }
}
