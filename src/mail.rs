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
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
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
    /// The server could not be reached at all (connect, TLS, timeout): the rest
    /// of a batch need not wait out the same failure.
    pub unreachable: bool,
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
                unreachable: true,
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
                    unreachable: true,
                    message: format!("writing {}: {e}", dir.display()),
                })
            }
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                // No SMTP reply code: the connection itself failed.
                unreachable: e.status().is_none(),
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

/// `Auto-Submitted: auto-generated` (RFC 3834): every mail cyberdesk sends is
/// automatic, so mail systems must not auto-reply to it (out-of-office
/// replies to a notice would land in the unit's sender mailbox by the dozen).
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// Builds the multipart (text + HTML) message of a row.
pub fn build(cfg: &Config, mail: &OutboxMail) -> Result<Message, SendError> {
    let bad = |what: &str, e: String| SendError {
        permanent: true,
        unreachable: false,
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
        .header(AutoSubmitted)
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

/// How one mail's attempt ended.
enum Outcome {
    Sent,
    Failed(SendError),
    /// Not tried: the server was unreachable a moment ago. Does not count as
    /// an attempt.
    Skipped(String),
}

/// Claims and sends one batch of due mails. Returns how many were claimed.
pub fn send_due(
    pool: &DbPool,
    cfg: &Config,
    transport: &Transport,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = pool.get()?;
    // Dropped on any early return (an error here is rare and may mean the
    // server went); cleared once the batch is done.
    conn.broken = true;
    let claimed = send_batch(&mut conn, cfg, transport)?;
    conn.broken = false;
    Ok(claimed)
}

/// [`send_due`] on a connection of the caller's: one batch claimed, sent and
/// recorded (a command-line run, which keeps no pool).
pub fn send_batch(
    conn: &mut diesel::PgConnection,
    cfg: &Config,
    transport: &Transport,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let workers = cfg.mail.threads.max(1);
    let per_worker = u32::try_from(PER_WORKER).unwrap_or(10);
    // Covers every send of a worker's share at the timeout, so no other sender
    // takes a row while it is still being worked on; a sender that dies leaves
    // its rows to others after this.
    let lease = match &cfg.mail.transport {
        MailTransport::Smtp(s) => s.timeout * per_worker + Duration::from_secs(30),
        MailTransport::File(_) => Duration::from_secs(60),
    };
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(10));
    let batch = outbox::claim(conn, Utc::now(), lease, batch_size(cfg))?;
    let claimed = batch.len();
    // A mail waiting for a retry does not go to someone deactivated since.
    let gone = outbox::inactive_recipients(conn, &batch)?;
    let (batch, dropped): (Vec<OutboxMail>, Vec<OutboxMail>) = batch
        .into_iter()
        .partition(|m| m.recipient_user_id.is_none_or(|id| !gone.contains(&id)));
    for m in dropped {
        outbox::mark_failed(conn, m.id, m.attempts, "recipient deactivated", None)?;
    }
    // Several connections at once: one SMTP exchange waits on round trips (and
    // on the peer's delayed ACK after lettre's separate end-of-data write), so
    // one connection alone manages only a few dozen mails a second.
    let down: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<(OutboxMail, Outcome)>();
    std::thread::scope(|scope| -> Result<(), diesel::result::Error> {
        for worker in 0..workers {
            let tx = tx.clone();
            let mine: Vec<OutboxMail> = batch
                .iter()
                .skip(worker)
                .step_by(workers)
                .cloned()
                .collect();
            let (down, stop) = (&down, &stop);
            scope.spawn(move || {
                for mail in mine {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let unreachable = down.lock().ok().and_then(|d| d.clone());
                    let outcome = match unreachable {
                        Some(reason) => Outcome::Skipped(reason),
                        None => match build(cfg, &mail).and_then(|m| {
                            transport.send(&m, &format!("{}-{}", mail.id, mail.token))
                        }) {
                            Ok(()) => Outcome::Sent,
                            Err(e) => {
                                if e.unreachable {
                                    if let Ok(mut d) = down.lock() {
                                        d.get_or_insert_with(|| e.message.clone());
                                    }
                                }
                                Outcome::Failed(e)
                            }
                        },
                    };
                    if tx.send((mail, outcome)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        // Results are recorded as they come, each in its own commit, so a crash
        // repeats at most the mails in flight.
        for (mail, outcome) in rx {
            if let Err(e) = record(conn, cfg, &mail, outcome) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    })?;
    Ok(claimed)
}

/// Mails each sender connection takes from one claim.
const PER_WORKER: usize = 10;

fn batch_size(cfg: &Config) -> i64 {
    i64::try_from(cfg.mail.threads.max(1) * PER_WORKER).unwrap_or(40)
}

/// Marks one mail sent, or schedules its retry, or gives up on it. Each update
/// applies only while the row is still this sender's claim (same attempt).
fn record(
    conn: &mut diesel::PgConnection,
    cfg: &Config,
    mail: &OutboxMail,
    outcome: Outcome,
) -> Result<(), diesel::result::Error> {
    let retry_at = |attempts: i32| {
        Utc::now()
            + chrono::Duration::from_std(backoff(&cfg.mail, attempts))
                .unwrap_or(chrono::Duration::minutes(5))
    };
    match outcome {
        Outcome::Sent => {
            outbox::mark_sent(conn, mail.id, mail.attempts, Utc::now())?;
        }
        Outcome::Skipped(reason) => {
            let reason = mask_addresses(&reason, &mail.recipient);
            outbox::release(
                conn,
                mail.id,
                mail.attempts,
                &reason,
                retry_at(mail.attempts.max(1)),
            )?;
        }
        Outcome::Failed(e) => {
            let give_up = e.permanent || mail.attempts >= cfg.mail.max_attempts;
            // SECURITY: the error may name the recipient; log only the row id.
            log::warn!(
                "mail {} attempt {} failed{}",
                mail.id,
                mail.attempts,
                if give_up { ", giving up" } else { "" }
            );
            let error = mask_addresses(&e.message, &mail.recipient);
            outbox::mark_failed(
                conn,
                mail.id,
                mail.attempts,
                &error,
                (!give_up).then(|| retry_at(mail.attempts)),
            )?;
        }
    }
    Ok(())
}

/// `nguyen.van.a@pa05.vn` → `ng…@pa05.vn`: enough to tell mails apart on the
/// admin page without showing whole addresses.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let head: String = local.chars().take(2).collect();
            format!("{head}…@{domain}")
        }
        None => "…".into(),
    }
}

/// SMTP replies often quote the recipient (`550 <a@b.vn>: unknown user`): the
/// stored error gets it masked, like the admin page shows addresses.
fn mask_addresses(text: &str, recipient: &str) -> String {
    let masked = mask(recipient);
    let mut out = text.replace(recipient, &masked);
    let lower = recipient.to_lowercase();
    if lower != recipient {
        out = out.replace(&lower, &masked);
    }
    out
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
            // Digests are due at each unit's own hour: looked for every five
            // minutes (each unit and day is claimed once, by one instance).
            let mut digests_next = Utc::now();
            // After a failure, the next try waits (not once a poll).
            let mut digest_retry_at = Utc::now();
            // The last summary period of new reports queued, per cadence and
            // unit, each unit's periods by its own clock; the units and
            // their zones are read again every five minutes.
            let mut summaries_done = std::collections::HashMap::new();
            let (mut zones, mut zones_next) = (Vec::new(), Utc::now());
            while !stop.load(Ordering::Relaxed) {
                let now = Utc::now();
                if now >= digests_next && now >= digest_retry_at {
                    match notify::queue_digests(&pool, &cfg, now) {
                        Ok(_) => digests_next = now + chrono::Duration::minutes(5),
                        Err(e) => {
                            log::error!("queueing deadline digests failed: {e}");
                            digest_retry_at = now + chrono::Duration::minutes(5);
                        }
                    }
                }
                if now >= zones_next && now >= digest_retry_at {
                    match notify::unit_zones(&pool, &cfg) {
                        Ok(z) => (zones, zones_next) = (z, now + chrono::Duration::minutes(5)),
                        Err(e) => {
                            log::error!("reading the units' time zones failed: {e}");
                            digest_retry_at = now + chrono::Duration::minutes(5);
                        }
                    }
                }
                for cadence in notify::SUMMARIES {
                    for &(unit, tz) in &zones {
                        let due = notify::summary_due(&cfg, cadence, tz, now);
                        let done = summaries_done.get(&(cadence.code(), unit));
                        if let Some(end) = due.filter(|d| Some(d) != done && now >= digest_retry_at)
                        {
                            match notify::queue_summaries(&pool, &cfg, cadence, (unit, tz), end) {
                                Ok(_) => {
                                    summaries_done.insert((cadence.code(), unit), end);
                                }
                                Err(e) => {
                                    log::error!("queueing report summaries failed: {e}");
                                    digest_retry_at = now + chrono::Duration::minutes(5);
                                }
                            }
                        }
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
            unreachable: false,
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_masked_in_errors_too() {
        assert_eq!(super::mask("nguyen.van.a@pa05.vn"), "ng…@pa05.vn");
        assert_eq!(super::mask("a@b.vn"), "a…@b.vn");
        assert_eq!(super::mask("broken"), "…");
        assert_eq!(
            super::mask_addresses("550 5.1.1 <Lan@PA05.vn>: unknown", "Lan@PA05.vn"),
            "550 5.1.1 <La…@PA05.vn>: unknown"
        );
    }
}
