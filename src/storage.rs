//! Evidence files on disk: streamed in under a size limit, hashed on receipt,
//! typed by their content (never by name or declared type), and stored under
//! `DATA_DIR/evidence` by a random id (never by the sent name).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::S3Config;

/// Bytes kept from the start of a file to tell its type.
const HEAD: usize = 8192;

/// Why a file was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    TooLarge,
    Empty,
    Type,
    TooMany,
    /// Received whole but could not be kept (disk or object store failure).
    Storage,
}

impl Refused {
    pub fn key(self) -> &'static str {
        match self {
            Refused::TooLarge => "upload-too-large",
            Refused::Empty => "upload-empty",
            Refused::Type => "upload-type",
            Refused::Storage => "upload-storage",
            Refused::TooMany => "upload-too-many",
        }
    }
}

/// A file received and kept.
#[derive(Debug, Clone)]
pub struct Stored {
    pub storage_id: String,
    pub original_name: String,
    pub size: i64,
    pub sha256: String,
    pub detected_type: &'static str,
}

pub fn evidence_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}

/// Where a stored file lives; `storage_id` is ours (hex), never user input.
pub fn path_of(data_dir: &Path, storage_id: &str) -> Option<PathBuf> {
    (storage_id.len() == 32 && storage_id.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| evidence_dir(data_dir).join(storage_id))
}

/// A file being received.
pub struct Upload {
    file: File,
    tmp: PathBuf,
    dir: PathBuf,
    hasher: Sha256,
    size: u64,
    limit: u64,
    head: Vec<u8>,
    original_name: String,
    /// Officers' evidence may be of any type (disk images, archives, captures):
    /// it is only ever served as an attachment, so nothing is refused by type.
    any_type: bool,
    /// Renamed into place: the temporary file no longer exists.
    done: bool,
}

impl Upload {
    pub fn start(data_dir: &Path, original_name: &str, limit: u64) -> std::io::Result<Upload> {
        let dir = evidence_dir(data_dir);
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".part-{}", crate::domain::token::random_token(16)));
        Ok(Upload {
            file: File::create(&tmp)?,
            tmp,
            dir,
            hasher: Sha256::new(),
            size: 0,
            limit,
            head: Vec::new(),
            original_name: clean_name(original_name),
            any_type: false,
            done: false,
        })
    }

    /// An officer's upload: any type, typed by content where it can be told.
    pub fn start_evidence(
        data_dir: &Path,
        original_name: &str,
        limit: u64,
    ) -> std::io::Result<Upload> {
        let mut u = Upload::start(data_dir, original_name, limit)?;
        u.any_type = true;
        Ok(u)
    }

    /// Appends a chunk; past the limit the file is refused (the caller drains
    /// the rest of the part without keeping it).
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), Refused> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(Refused::TooLarge);
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).map_err(|e| {
            log::error!("writing an upload failed: {e}");
            Refused::TooLarge
        })
    }

    /// Checks what arrived and keeps it under a random id.
    pub fn finish(mut self) -> Result<Stored, Refused> {
        if self.size == 0 {
            return Err(Refused::Empty);
        }
        let whole = self.size as usize <= self.head.len();
        let Some(detected_type) = sniff(&self.head, whole).or_else(|| {
            self.any_type.then(|| {
                infer::get(&self.head).map_or("application/octet-stream", |k| k.mime_type())
            })
        }) else {
            return Err(Refused::Type);
        };
        if self
            .file
            .flush()
            .and_then(|()| self.file.sync_all())
            .is_err()
        {
            return Err(Refused::TooLarge);
        }
        let storage_id = crate::domain::token::random_token(16);
        if std::fs::rename(&self.tmp, self.dir.join(&storage_id)).is_err() {
            return Err(Refused::TooLarge);
        }
        self.done = true;
        Ok(Stored {
            storage_id,
            original_name: std::mem::take(&mut self.original_name),
            size: i64::try_from(self.size).unwrap_or(i64::MAX),
            sha256: crate::domain::token::hex(&std::mem::take(&mut self.hasher).finalize()),
            detected_type,
        })
    }
}

/// A file not finished (refused, or the request broke off) leaves nothing behind.
impl Drop for Upload {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Files in the evidence folder that no row refers to: left by a request that
/// broke off between receiving a file and recording it, or by a crash. Those
/// older than `older_than` are removed; `known` says which ids have a row.
pub fn sweep(
    data_dir: &Path,
    older_than: std::time::Duration,
    known: &mut dyn FnMut(&[String]) -> Vec<String>,
) -> usize {
    let Ok(entries) = std::fs::read_dir(evidence_dir(data_dir)) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    let old: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > older_than)
        })
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    let ids: Vec<String> = old
        .iter()
        .filter(|(name, _)| path_of(data_dir, name).is_some())
        .map(|(name, _)| name.clone())
        .collect();
    let kept = known(&ids);
    let mut removed = 0;
    for (name, path) in old {
        let ours = path_of(data_dir, &name).is_some();
        let orphan = (ours && !kept.contains(&name)) || name.starts_with(".part-");
        if orphan && std::fs::remove_file(path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The sent name as a label only: no directories, no control characters, bounded.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    // Control and bidirectional-format characters (U+202E can disguise
    // "exe.png" as "gnp.exe") are dropped.
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(
                    *c,
                    '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
                )
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// The file-name extension that goes with a detected type: downloads are named
/// by what the file is, not by what it was called.
pub fn extension_of(detected_type: &str) -> &'static str {
    match detected_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/heif" => "heif",
        "image/avif" => "avif",
        "image/bmp" => "bmp",
        "application/pdf" => "pdf",
        "audio/mpeg" => "mp3",
        "audio/m4a" | "audio/x-m4a" => "m4a",
        "audio/ogg" => "ogg",
        "audio/x-wav" => "wav",
        "audio/amr" => "amr",
        "audio/aac" => "aac",
        "audio/x-flac" => "flac",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "video/3gpp" => "3gp",
        "video/x-matroska" => "mkv",
        "message/rfc822" => "eml",
        _ => "txt",
    }
}

/// The name a file is downloaded under: the sent name's stem and the
/// extension of its detected type.
pub fn download_name(original: &str, detected_type: &str) -> String {
    let clean = clean_name(original);
    let stem = clean.rsplit_once('.').map_or(clean.as_str(), |(s, _)| s);
    format!("{stem}.{}", extension_of(detected_type))
}

/// The type of a file from its first bytes: images, PDF, audio and video
/// recordings, plain text and e-mail (.eml). Everything else — executables,
/// archives, HTML, SVG, scripts — is refused. `whole` says the head is the
/// whole file (so a cut UTF-8 character at the end is not an error).
pub fn sniff(head: &[u8], whole: bool) -> Option<&'static str> {
    const ALLOWED: &[&str] = &[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heif",
        "image/avif",
        "image/bmp",
        "application/pdf",
        "audio/mpeg",
        "audio/m4a",
        "audio/x-m4a",
        "audio/ogg",
        "audio/x-wav",
        "audio/amr",
        "audio/aac",
        "audio/x-flac",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/3gpp",
        "video/x-matroska",
    ];
    if let Some(kind) = infer::get(head) {
        return ALLOWED.iter().copied().find(|t| *t == kind.mime_type());
    }
    // Text: valid UTF-8 (a character cut at the end of the head is fine), no NUL.
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if !whole && e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    if text.contains('\0') {
        return None;
    }
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    // Markup (HTML, SVG, XML) could run script if ever opened from a browser;
    // scripts start with a shebang.
    if start.starts_with('<') || start.starts_with("#!") {
        return None;
    }
    let header_block = start.split("\n\n").next().unwrap_or("");
    let looks_like_mail = ["from:", "subject:", "date:", "received:", "message-id:"]
        .iter()
        .filter(|h| {
            header_block
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with(**h))
        })
        .count()
        >= 2;
    Some(if looks_like_mail {
        "message/rfc822"
    } else {
        "text/plain"
    })
}

// --- Where kept files live: local disk, or an S3-compatible bucket -------------
//
// Uploads always arrive in a local temporary file (streamed, hashed, sniffed);
// `keep` then moves a finished file to the bucket when one is configured. Reads
// go through `open_verified`, which hashes the bytes it will serve from one
// local handle: for S3 the object is spooled to an unlinked temporary file
// first, so what is checked is exactly what is sent.

/// The object store of a bucket, built once per bucket (cheap to share).
fn bucket(s3: &S3Config) -> std::io::Result<std::sync::Arc<dyn object_store::ObjectStore>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static STORES: OnceLock<Mutex<HashMap<String, Arc<dyn object_store::ObjectStore>>>> =
        OnceLock::new();
    let key = format!("{}|{}|{}", s3.endpoint, s3.bucket, s3.access_key_id);
    let mut stores = STORES
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| std::io::Error::other("object store registry poisoned"))?;
    if let Some(s) = stores.get(&key) {
        return Ok(s.clone());
    }
    let mut b = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&s3.bucket)
        .with_region(&s3.region)
        .with_access_key_id(&s3.access_key_id)
        .with_secret_access_key(&s3.secret_access_key);
    if !s3.endpoint.is_empty() {
        b = b
            .with_endpoint(&s3.endpoint)
            .with_allow_http(s3.endpoint.starts_with("http://"))
            // Self-hosted stores (MinIO, Ceph) address buckets by path.
            .with_virtual_hosted_style_request(false);
    }
    let store: Arc<dyn object_store::ObjectStore> =
        Arc::new(b.build().map_err(std::io::Error::other)?);
    stores.insert(key, store.clone());
    Ok(store)
}

/// A runtime for the object store's async client, used from blocking threads
/// (`web::block`), never from an async worker.
fn block_on<F: std::future::Future>(f: F) -> std::io::Result<F::Output> {
    use std::sync::OnceLock;
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if RT.get().is_none() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("object-store")
            .enable_all()
            .build()?;
        let _ = RT.set(rt);
    }
    let rt = RT
        .get()
        .ok_or_else(|| std::io::Error::other("object store runtime missing"))?;
    Ok(rt.block_on(f))
}

fn object_path(storage_id: &str) -> object_store::path::Path {
    object_store::path::Path::from(format!("evidence/{storage_id}"))
}

/// Moves a finished upload to where files are kept: a no-op on local disk;
/// with a bucket, the file is uploaded in parts (memory stays flat) and the
/// local copy removed.
pub fn keep(data_dir: &Path, s3: Option<&S3Config>, storage_id: &str) -> std::io::Result<()> {
    use std::io::Read;
    let (Some(s3), Some(local)) = (s3, path_of(data_dir, storage_id)) else {
        return Ok(());
    };
    let store = bucket(s3)?;
    let location = object_path(storage_id);
    let mut file = File::open(&local)?;
    block_on(async {
        let upload = store
            .put_multipart(&location)
            .await
            .map_err(std::io::Error::other)?;
        let mut w = object_store::WriteMultipart::new_with_chunk_size(upload, 8 << 20);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            w.wait_for_capacity(2)
                .await
                .map_err(std::io::Error::other)?;
            w.write(&buf[..n]);
        }
        w.finish().await.map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(())
    })??;
    std::fs::remove_file(local)
}

/// Opens a kept file and hashes it; the returned handle is at its start and
/// serves exactly the hashed bytes. `None` when the file is missing.
pub fn open_verified(
    data_dir: &Path,
    s3: Option<&S3Config>,
    storage_id: &str,
) -> std::io::Result<Option<(File, String)>> {
    use std::io::{Read, Seek};
    let Some(local) = path_of(data_dir, storage_id) else {
        return Ok(None);
    };
    let mut f = match s3 {
        None => match File::open(&local) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        },
        Some(s3) => match spool(data_dir, s3, storage_id)? {
            Some(f) => f,
            None => return Ok(None),
        },
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    f.rewind()?;
    Ok(Some((f, crate::domain::token::hex(&hasher.finalize()))))
}

/// Copies an object to an unlinked local file (removed from the folder at
/// once; the handle keeps it until dropped).
fn spool(data_dir: &Path, s3: &S3Config, storage_id: &str) -> std::io::Result<Option<File>> {
    use futures_util::StreamExt;
    let store = bucket(s3)?;
    let dir = data_dir.join("spool");
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join(crate::domain::token::random_token(16));
    let mut out = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    std::fs::remove_file(&tmp)?;
    let found = block_on(async {
        let got = match store.get(&object_path(storage_id)).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(std::io::Error::other(e)),
        };
        let mut stream = got.into_stream();
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk.map_err(std::io::Error::other)?)?;
        }
        Ok(true)
    })??;
    std::io::Seek::rewind(&mut out)?;
    Ok(found.then_some(out))
}

/// Whether a file is kept under `storage_id` (a restore must not write
/// over a bucket that already holds one).
pub fn exists(data_dir: &Path, s3: Option<&S3Config>, storage_id: &str) -> std::io::Result<bool> {
    let Some(local) = path_of(data_dir, storage_id) else {
        return Ok(false);
    };
    match s3 {
        None => Ok(local.exists()),
        Some(s3) => {
            let store = bucket(s3)?;
            block_on(async move {
                match store.head(&object_path(storage_id)).await {
                    Ok(_) => Ok(true),
                    Err(object_store::Error::NotFound { .. }) => Ok(false),
                    Err(e) => Err(std::io::Error::other(e)),
                }
            })?
        }
    }
}

/// SHA-256 of a kept file (`None` when it is missing).
pub fn hash_kept(
    data_dir: &Path,
    s3: Option<&S3Config>,
    storage_id: &str,
) -> std::io::Result<Option<String>> {
    Ok(open_verified(data_dir, s3, storage_id)?.map(|(_, h)| h))
}

/// Removes a kept file that no row refers to (a refused or rolled-back upload,
/// a draft never sent). Evidence of a case is never removed.
pub fn remove(data_dir: &Path, s3: Option<&S3Config>, storage_id: &str) {
    if let Some(local) = path_of(data_dir, storage_id) {
        let _ = std::fs::remove_file(local);
    }
    if let Some(s3) = s3 {
        let result = bucket(s3).and_then(|store| {
            block_on(async move {
                store
                    .delete(&object_path(storage_id))
                    .await
                    .map_err(std::io::Error::other)
            })
        });
        if let Err(e) | Ok(Err(e)) = result {
            log::warn!("removing an unreferenced stored file failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff(png, true), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7\n", true), Some("application/pdf"));
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", true),
            None,
            "ELF"
        );
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0", true), None, "PE");
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0", true), None, "zip");
        assert_eq!(
            sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>", true),
            None
        );
        assert_eq!(sniff(b"  <!doctype html><script>", true), None);
        assert_eq!(sniff(b"#!/bin/sh\nrm -rf /", true), None);
        assert_eq!(
            sniff("Tin nhắn lừa đảo: chuyển tiền".as_bytes(), true),
            Some("text/plain")
        );
        assert_eq!(
            sniff(b"From: a@b.vn\r\nSubject: Hi\r\nDate: x\r\n\r\nbody", true),
            Some("message/rfc822")
        );
        // A multi-byte character cut by the head limit is not a binary file.
        let mut cut = "ạ".repeat(10).into_bytes();
        cut.pop();
        assert_eq!(sniff(&cut, false), Some("text/plain"));
        assert_eq!(sniff(&cut, true), None);
    }

    #[test]
    fn sent_names_are_labels_only() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\a\\ảnh chụp.png"), "ảnh chụp.png");
        assert_eq!(clean_name("..."), "file");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(path_of(Path::new("/d"), "../x"), None);
        assert_eq!(clean_name("anh\u{202e}gnp.exe"), "anhgnp.exe");
        assert_eq!(download_name("loi.bat", "text/plain"), "loi.txt");
        assert_eq!(download_name("x.html", "text/plain"), "x.txt");
        assert_eq!(download_name("biên lai.PNG", "image/png"), "biên lai.png");
    }
}
