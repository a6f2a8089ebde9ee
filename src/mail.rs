//! Delivery of the outbox: the transport (SMTP or `.eml` files) and the sender
//! loop that claims due rows, sends them and records the result.
//!
//! A mail is marked sent only after the transport accepted it, so a crash between
//! the two sends it again; its `Message-ID` comes from the row, so the copy is
//! recognisable as the same mail. Several instances may run the loop on one
//! database: rows are claimed with `FOR UPDATE SKIP LOCKED` (models::outbox).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport as _};

use crate::config::{Config, MailConfig, MailTransport, SmtpTls};
use crate::db::DbPool;
use crate::models::outbox::{self, OutboxMail};
use crate::services::notify;

/// Why a mail was not sent. Permanent failures (a 5xx reply: bad address, refused
/// content) are not retried; everything else is.
#[derive(Debug)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The configured way out.
pub enum Transport {
    File(PathBuf),
    Smtp(Box<SmtpTransport>),
}

impl Transport {
    pub fn new(cfg: &MailConfig) -> Result<Transport, SendError> {
        let smtp = match &cfg.transport {
            MailTransport::File(dir) => return Ok(Transport::File(dir.clone())),
            MailTransport::Smtp(s) => s,
        };
        let tls_params = || {
            TlsParameters::new(smtp.host.clone()).map_err(|e| SendError {
                permanent: true,
                message: format!("TLS set-up for {}: {e}", smtp.host),
            })
        };
        let mut builder = SmtpTransport::builder_dangerous(&smtp.host)
            .port(smtp.port)
            .timeout(Some(smtp.timeout));
        builder = match smtp.tls {
            SmtpTls::None => builder.tls(Tls::None),
            SmtpTls::StartTls => builder.tls(Tls::Required(tls_params()?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls_params()?)),
        };
        if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Transport::Smtp(Box::new(builder.build())))
    }

    /// Sends one message; `file_stem` names the `.eml` of the file transport (the
    /// same mail sent twice overwrites its file).
    pub fn send(&self, message: &Message, file_stem: &str) -> Result<(), SendError> {
        match self {
            Transport::File(dir) => {
                write_eml(dir, file_stem, &message.formatted()).map_err(|e| SendError {
                    permanent: false,
                    message: format!("writing {}: {e}", dir.display()),
                })
            }
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
        }
    }
}

/// Writes through a temporary name and renames, so a reader never sees half a mail.
fn write_eml(dir: &Path, stem: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{stem}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(format!("{stem}.eml")))
}

/// The host part of Message-IDs: the public host, without a port.
fn id_domain(cfg: &Config) -> String {
    let rest = cfg
        .public_base_url
        .split("://")
        .nth(1)
        .unwrap_or("cyberdesk.local");
    let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
    if host.is_empty() || host.starts_with('[') {
        "cyberdesk.local".into()
    } else {
        host.to_owned()
    }
}

/// The Message-ID of an outbox row: stable across retries of that row.
pub fn message_id(cfg: &Config, mail: &OutboxMail) -> String {
    format!("<outbox-{}.{}@{}>", mail.id, mail.token, id_domain(cfg))
}

/// Builds the multipart (text + HTML) message of a row.
pub fn build(cfg: &Config, mail: &OutboxMail) -> Result<Message, SendError> {
    let bad = |what: &str, e: String| SendError {
        permanent: true,
        message: format!("{what}: {e}"),
    };
    let from: Mailbox = cfg
        .mail
        .from
        .parse()
        .map_err(|e: lettre::address::AddressError| bad("MAIL_FROM", e.to_string()))?;
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|e: lettre::address::AddressError| bad("recipient", e.to_string()))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id(cfg, mail)))
        .date(mail.created_at.into())
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.body_text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.body_html.clone()),
                ),
        )
        .map_err(|e| bad("message", e.to_string()))
}

/// Delay before attempt `attempts + 1`: base × 2^(attempts − 1), capped.
pub fn backoff(cfg: &MailConfig, attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    cfg.retry_base
        .saturating_mul(1u32 << exp)
        .min(cfg.retry_max)
}

/// Claims and sends one batch of due mails. Returns how many were claimed.
pub fn send_due(
    pool: &DbPool,
    cfg: &Config,
    transport: &Transport,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = pool.get()?;
    // Long enough for a batch of normal sends; a sender that dies leaves its rows
    // to others after this. (A send that really takes longer may be repeated:
    // the Message-ID shows it is the same mail.)
    let lease = match &cfg.mail.transport {
        MailTransport::Smtp(s) => (s.timeout * 4).max(Duration::from_secs(60)),
        MailTransport::File(_) => Duration::from_secs(60),
    };
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(10));
    let workers = cfg.mail.threads.max(1);
    let batch = outbox::claim(&mut conn, Utc::now(), lease, batch_size(cfg))?;
    let claimed = batch.len();
    // Several connections at once: one SMTP exchange waits on round trips (and
    // on the peer's delayed ACK after lettre's separate end-of-data write), so
    // one connection alone manages only a few dozen mails a second.
    let down = AtomicBool::new(false);
    let down_reason = std::sync::Mutex::new(String::new());
    let (tx, rx) = std::sync::mpsc::channel::<(OutboxMail, Result<(), SendError>)>();
    std::thread::scope(|scope| -> Result<(), diesel::result::Error> {
        for worker in 0..workers {
            let tx = tx.clone();
            let mine: Vec<OutboxMail> = batch
                .iter()
                .skip(worker)
                .step_by(workers)
                .cloned()
                .collect();
            let (down, down_reason) = (&down, &down_reason);
            scope.spawn(move || {
                for mail in mine {
                    let result = if down.load(Ordering::Relaxed) {
                        // The server was unreachable a moment ago: do not wait
                        // out the timeout again for every mail of the batch.
                        Err(SendError {
                            permanent: false,
                            message: down_reason.lock().map(|r| r.clone()).unwrap_or_default(),
                        })
                    } else {
                        build(cfg, &mail).and_then(|m| {
                            transport.send(&m, &format!("{}-{}", mail.id, mail.token))
                        })
                    };
                    if let Err(e) = &result {
                        if !e.permanent && !down.swap(true, Ordering::Relaxed) {
                            if let Ok(mut r) = down_reason.lock() {
                                *r = e.message.clone();
                            }
                        }
                    }
                    if tx.send((mail, result)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        // Results are recorded as they come, each in its own commit, so a crash
        // repeats at most the mails in flight.
        for (mail, result) in rx {
            record(&mut conn, cfg, &mail, result)?;
        }
        Ok(())
    })?;
    Ok(claimed)
}

fn batch_size(cfg: &Config) -> i64 {
    i64::try_from(cfg.mail.threads.max(1) * 10).unwrap_or(40)
}

/// Marks one mail sent, or schedules its retry, or gives up on it.
fn record(
    conn: &mut diesel::PgConnection,
    cfg: &Config,
    mail: &OutboxMail,
    result: Result<(), SendError>,
) -> Result<(), diesel::result::Error> {
    match result {
        Ok(()) => {
            outbox::mark_sent(conn, mail.id, Utc::now())?;
        }
        Err(e) => {
            let give_up = e.permanent || mail.attempts >= cfg.mail.max_attempts;
            let retry_at = (!give_up).then(|| {
                Utc::now()
                    + chrono::Duration::from_std(backoff(&cfg.mail, mail.attempts))
                        .unwrap_or(chrono::Duration::minutes(5))
            });
            // SECURITY: the error may name the recipient; log only the row id.
            log::warn!(
                "mail {} attempt {} failed{}",
                mail.id,
                mail.attempts,
                if give_up { ", giving up" } else { "" }
            );
            outbox::mark_failed(conn, mail.id, &e.message, retry_at)?;
        }
    }
    Ok(())
}

/// The sender loop of `serve`: sends due mail, and queues the day's digests once
/// the digest hour has passed. Stops when `stop` is set.
pub fn spawn_sender(
    pool: DbPool,
    cfg: Config,
    stop: Arc<AtomicBool>,
) -> Result<JoinHandle<()>, SendError> {
    let transport = Transport::new(&cfg.mail)?;
    log::info!("mail sender started ({})", cfg.mail.transport.describe());
    std::thread::Builder::new()
        .name("mail-sender".into())
        .spawn(move || {
            // The day whose digests this instance has seen done, so the check
            // costs a query once a day rather than once a poll.
            let mut digests_done = None;
            while !stop.load(Ordering::Relaxed) {
                let now = Utc::now();
                let day = notify::digest_day(&cfg, now);
                if day.is_some() && day != digests_done {
                    match notify::queue_digests(&pool, &cfg, now) {
                        Ok(_) => digests_done = day,
                        Err(e) => log::error!("queueing deadline digests failed: {e}"),
                    }
                }
                let claimed = match send_due(&pool, &cfg, &transport) {
                    Ok(n) => n,
                    Err(e) => {
                        log::error!("mail sender: {e}");
                        0
                    }
                };
                // A full batch means more may be due: go again at once.
                if claimed < usize::try_from(batch_size(&cfg)).unwrap_or(40) {
                    std::thread::sleep(cfg.mail.poll);
                }
            }
        })
        .map_err(|e| SendError {
            permanent: true,
            message: e.to_string(),
        })
}
