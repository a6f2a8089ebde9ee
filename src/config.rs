//! Settings from the environment (and an optional `.env`). Every error names the
//! variable and what it expects, so a bad deployment fails in one readable line.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use chrono_tz::Tz;

use crate::i18n::Lang;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    /// A streaming replica that lists, search, statistics and exports read
    /// from (`DATABASE_REPLICA_URL`; `None`: everything reads the primary).
    pub replica_url: Option<String>,
    /// After a write, how long a browser reads from the primary; also the
    /// most a replica may lag behind and still be read (`REPLICA_STICKY_SECONDS`).
    pub replica_sticky: Duration,
    pub bind: SocketAddr,
    /// Origin users reach us at, e.g. `https://cyberdesk.pa05.example`. Drives the
    /// `Secure` cookie flag, HSTS, the Origin check and links in mail.
    pub public_base_url: String,
    pub data_dir: PathBuf,
    pub unit_name: String,
    pub ref_prefix: String,
    pub default_lang: Lang,
    pub time_zone: Tz,
    pub admin_email: String,
    pub session_idle: Duration,
    pub session_lifetime: Duration,
    pub pool_size: u32,
    pub db_timeout: Duration,
    pub login_ip_max_failures: i64,
    /// Reverse proxies whose `X-Forwarded-For` is believed for the client address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub mail: MailConfig,
    pub portal: PortalConfig,
    /// Largest evidence file an officer may attach to a case.
    pub evidence_max_bytes: u64,
    /// The day a reporting month starts (Decree 09/2019/ND-CP art. 12: the 15th,
    /// so a month ends on the 14th); 1 makes reporting months calendar months.
    pub report_cutoff_day: u32,
    /// The most rows one case-list export may hold.
    pub export_max_rows: u64,
    /// Evidence in an S3-compatible object store instead of `DATA_DIR/evidence`
    /// (so several instances share it); `None` keeps files on local disk.
    pub s3: Option<S3Config>,
    /// Requests one API token may make per minute (the whole minute's
    /// allowance at once, then evenly); past it, 429 with `Retry-After`.
    pub api_requests_per_minute: u32,
    /// Roles that must set up a second factor before reaching any page
    /// (`REQUIRE_2FA_FOR`, default `admin,supervisor`; `none` for nobody).
    pub require_2fa_for: Vec<crate::domain::role::Role>,
    /// Client addresses that may read `/metrics` (`METRICS_ALLOW`, default
    /// loopback); the address is the one resolved through TRUSTED_PROXIES.
    pub metrics_allow: Vec<std::net::IpAddr>,
    /// A bearer token that also opens `/metrics` (`METRICS_TOKEN`).
    pub metrics_token: Option<String>,
}

/// An S3-compatible bucket for evidence files (`S3_BUCKET` set).
#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    /// e.g. `https://s3.unit.local:9000`; empty for AWS itself.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret never reaches a log line.
        write!(
            f,
            "S3Config {{ bucket: {:?}, endpoint: {:?}, region: {:?} }}",
            self.bucket, self.endpoint, self.region
        )
    }
}

/// Limits of the public portal.
#[derive(Clone, Debug)]
pub struct PortalConfig {
    pub max_files: usize,
    pub max_file_bytes: u64,
    /// Reports accepted per IP per hour.
    pub reports_per_hour: u32,
    /// Tracking look-ups per IP per hour.
    pub lookups_per_hour: u32,
    /// Reports per minute (all sources) above which the form asks a challenge.
    pub burst_per_minute: i64,
    pub min_fill_seconds: i64,
}

/// How mail leaves: SMTP when `SMTP_HOST` is set, otherwise `.eml` files under
/// `DATA_DIR/mail` so a fresh install works without a mail server.
#[derive(Clone)]
pub enum MailTransport {
    File(PathBuf),
    Smtp(SmtpConfig),
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<String>,
    /// lettre applies one timeout to the connect and to every command.
    pub timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

#[derive(Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// `Name <address>` or a bare address.
    pub from: String,
    /// Whether `serve` runs the sender loop (off on instances that only serve pages).
    pub sender: bool,
    /// SMTP connections the sender uses at once.
    pub threads: usize,
    pub poll: Duration,
    pub max_attempts: i32,
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Local hour (0-23) after which the day's deadline digests are queued.
    pub digest_hour: u32,
}

impl MailTransport {
    /// What the admin page shows: never the password.
    pub fn describe(&self) -> String {
        match self {
            MailTransport::File(dir) => format!("file: {}", dir.display()),
            MailTransport::Smtp(s) => {
                let tls = match s.tls {
                    SmtpTls::None => "none",
                    SmtpTls::StartTls => "starttls",
                    SmtpTls::Tls => "tls",
                };
                let auth = if s.user.is_some() { ", auth" } else { "" };
                format!("smtp: {}:{} (tls {tls}{auth})", s.host, s.port)
            }
        }
    }
}

/// A configuration error: the variable and what it expects.
#[derive(Debug)]
pub struct ConfigError {
    pub key: &'static str,
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {} {}", self.key, self.expected)
    }
}

impl std::error::Error for ConfigError {}

// SECURITY: DATABASE_URL may hold a password; Debug never prints it.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database", &crate::db::describe_url(&self.database_url))
            .field(
                "replica",
                &self.replica_url.as_deref().map(crate::db::describe_url),
            )
            .field("bind", &self.bind)
            .field("public_base_url", &self.public_base_url)
            .field("data_dir", &self.data_dir)
            .field("ref_prefix", &self.ref_prefix)
            .field("mail", &self.mail.transport.describe())
            .finish_non_exhaustive()
    }
}

/// A comma-separated list of IP addresses (`TRUSTED_PROXIES`, `METRICS_ALLOW`).
fn ip_list(
    key: &'static str,
    v: &str,
    or_else: &str,
) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    v.split(',')
        .map(|p| p.trim().parse())
        .collect::<Result<_, _>>()
        .map_err(|_| ConfigError {
            key,
            expected: format!(
                "must be a comma-separated list of IP addresses{or_else} (got {v:?})"
            ),
        })
}

fn var(key: &str) -> Option<String> {
    std::env::var(key)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn parsed<T: FromStr>(key: &'static str, default: T, expected: &str) -> Result<T, ConfigError> {
    match var(key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError {
            key,
            expected: format!("must be {expected} (got {v:?})"),
        }),
    }
}

fn positive(key: &'static str, default: u64, unit: &str) -> Result<u64, ConfigError> {
    let v = parsed(
        key,
        default,
        &format!("a whole number of {unit} greater than 0"),
    )?;
    if v == 0 {
        return Err(ConfigError {
            key,
            expected: format!("must be a whole number of {unit} greater than 0"),
        });
    }
    Ok(v)
}

fn mail_from_vars(data_dir: &std::path::Path) -> Result<MailConfig, ConfigError> {
    let transport = match var("SMTP_HOST") {
        None => MailTransport::File(data_dir.join("mail")),
        Some(host) => {
            let tls = match var("SMTP_TLS").as_deref().unwrap_or("starttls") {
                "none" => SmtpTls::None,
                "starttls" => SmtpTls::StartTls,
                "tls" => SmtpTls::Tls,
                other => {
                    return Err(ConfigError {
                        key: "SMTP_TLS",
                        expected: format!("must be none, starttls or tls (got {other:?})"),
                    })
                }
            };
            let default_port = match tls {
                SmtpTls::None => 25,
                SmtpTls::StartTls => 587,
                SmtpTls::Tls => 465,
            };
            let user = var("SMTP_USER");
            let password = var("SMTP_PASSWORD");
            if user.is_some() != password.is_some() {
                return Err(ConfigError {
                    key: "SMTP_PASSWORD",
                    expected: "must be set together with SMTP_USER (or neither)".into(),
                });
            }
            let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1");
            if user.is_some() && tls == SmtpTls::None && !loopback {
                return Err(ConfigError {
                    key: "SMTP_TLS",
                    expected: "must be starttls or tls when SMTP_USER is set (the password would travel in clear)".into(),
                });
            }
            MailTransport::Smtp(SmtpConfig {
                host,
                port: parsed("SMTP_PORT", default_port, "a port number (1-65535)")?,
                tls,
                user,
                password,
                timeout: Duration::from_secs(positive("SMTP_TIMEOUT_SECONDS", 10, "seconds")?),
            })
        }
    };
    let from = var("MAIL_FROM").unwrap_or_else(|| "cyberdesk <noreply@cyberdesk.local>".into());
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError {
            key: "MAIL_FROM",
            expected: format!("must be an address or Name <address> (got {from:?})"),
        });
    }
    let sender = match var("MAIL_SENDER").as_deref().unwrap_or("on") {
        "on" => true,
        "off" => false,
        other => {
            return Err(ConfigError {
                key: "MAIL_SENDER",
                expected: format!("must be on or off (got {other:?})"),
            })
        }
    };
    let digest_hour = parsed("MAIL_DIGEST_HOUR", 7u32, "an hour from 0 to 23")?;
    if digest_hour > 23 {
        return Err(ConfigError {
            key: "MAIL_DIGEST_HOUR",
            expected: format!("must be an hour from 0 to 23 (got {digest_hour})"),
        });
    }
    Ok(MailConfig {
        transport,
        from,
        sender,
        threads: usize::try_from(positive("MAIL_SENDER_THREADS", 4, "connections")?.min(32))
            .unwrap_or(4),
        poll: Duration::from_millis(positive("MAIL_POLL_MILLISECONDS", 1000, "milliseconds")?),
        max_attempts: i32::try_from(positive("MAIL_MAX_ATTEMPTS", 10, "attempts")?.min(100))
            .unwrap_or(10),
        retry_base: Duration::from_secs(positive("MAIL_RETRY_BASE_SECONDS", 30, "seconds")?),
        retry_max: Duration::from_secs(positive("MAIL_RETRY_MAX_SECONDS", 3600, "seconds")?),
        digest_hour,
    })
}

impl Config {
    /// Reads `.env` (if present) once, then the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        dotenvy::dotenv().ok();
        Self::from_vars()
    }

    /// Reads only the process environment (tests set variables themselves).
    pub fn from_vars() -> Result<Config, ConfigError> {
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/cyberdesk".into());
        if crate::db::database_name(&database_url).is_none() {
            return Err(ConfigError {
                key: "DATABASE_URL",
                expected: "must be a URL like postgres://user:password@host:5432/cyberdesk (letters, digits, _ or - in the database name)".into(),
            });
        }
        let bind: SocketAddr = parsed(
            "BIND",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            "an address and port such as 127.0.0.1:8080",
        )?;
        let public_base_url = var("PUBLIC_BASE_URL").unwrap_or_else(|| format!("http://{bind}"));
        let public_base_url = public_base_url.trim_end_matches('/').to_owned();
        let valid_base = (public_base_url.starts_with("http://")
            || public_base_url.starts_with("https://"))
            && public_base_url
                .split("://")
                .nth(1)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains(['/', '?', '#', ' ']));
        if !valid_base {
            return Err(ConfigError {
                key: "PUBLIC_BASE_URL",
                expected: format!("must be an origin such as https://cyberdesk.example.vn, without a path (got {public_base_url:?})"),
            });
        }
        let ref_prefix = var("REF_PREFIX").unwrap_or_else(|| "PA05".into());
        if ref_prefix.is_empty()
            || ref_prefix.len() > 12
            || !ref_prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(ConfigError {
                key: "REF_PREFIX",
                expected: format!(
                    "must be 1-12 capital letters or digits, e.g. PA05 (got {ref_prefix:?})"
                ),
            });
        }
        let unit_name = var("UNIT_NAME").unwrap_or_else(|| {
            "Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao".into()
        });
        if unit_name.chars().count() > 200 {
            return Err(ConfigError {
                key: "UNIT_NAME",
                expected: "must be at most 200 characters".into(),
            });
        }
        let default_lang = parsed("DEFAULT_LANG", Lang::Vi, "vi or en")?;
        let time_zone = parsed(
            "TIME_ZONE",
            chrono_tz::Asia::Ho_Chi_Minh,
            "an IANA time zone such as Asia/Ho_Chi_Minh",
        )?;
        let admin_email = var("ADMIN_EMAIL")
            .unwrap_or_else(|| "admin@cyberdesk.local".into())
            .to_lowercase();
        if !crate::domain::value::looks_like_email(&admin_email) {
            return Err(ConfigError {
                key: "ADMIN_EMAIL",
                expected: format!("must be an e-mail address (got {admin_email:?})"),
            });
        }
        let idle = positive("SESSION_IDLE_MINUTES", 120, "minutes")?;
        let lifetime = positive("SESSION_LIFETIME_HOURS", 12, "hours")?;
        let pool_size = positive("DB_POOL_SIZE", 10, "connections")?;
        let replica_url = var("DATABASE_REPLICA_URL").filter(|u| !u.trim().is_empty());
        if let Some(u) = &replica_url {
            if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                return Err(ConfigError {
                    key: "DATABASE_REPLICA_URL",
                    expected: "must be a postgres:// URL of a streaming replica".into(),
                });
            }
        }
        let replica_sticky = positive("REPLICA_STICKY_SECONDS", 5, "seconds")?;
        let db_timeout = positive("DB_TIMEOUT_SECONDS", 5, "seconds")?;
        let ip_max = positive("LOGIN_IP_MAX_FAILURES", 20, "attempts")?;
        let trusted_proxies = match var("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(v) => ip_list("TRUSTED_PROXIES", &v, "")?,
        };
        let metrics_allow = match var("METRICS_ALLOW") {
            None => vec![
                std::net::IpAddr::from([127, 0, 0, 1]),
                std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            ],
            Some(v) if v.trim().is_empty() || v.trim() == "none" => Vec::new(),
            Some(v) => ip_list("METRICS_ALLOW", &v, ", or none")?,
        };
        let metrics_token = match var("METRICS_TOKEN") {
            Some(t) if t.len() < 24 => {
                return Err(ConfigError {
                    key: "METRICS_TOKEN",
                    expected: "must be at least 24 characters (a random secret)".into(),
                })
            }
            other => other,
        };
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./var".into()));
        let mail = mail_from_vars(&data_dir)?;
        let portal = PortalConfig {
            max_files: usize::try_from(positive("UPLOAD_MAX_FILES", 10, "files")?.min(50))
                .unwrap_or(10),
            max_file_bytes: positive("UPLOAD_MAX_MB", 10, "megabytes")?.min(1024) * 1024 * 1024,
            reports_per_hour: u32::try_from(positive("REPORT_LIMIT_PER_HOUR", 10, "reports")?)
                .unwrap_or(10),
            lookups_per_hour: u32::try_from(positive("TRACK_LIMIT_PER_HOUR", 20, "look-ups")?)
                .unwrap_or(20),
            burst_per_minute: i64::try_from(positive("REPORT_BURST_PER_MINUTE", 30, "reports")?)
                .unwrap_or(30),
            min_fill_seconds: i64::try_from(parsed(
                "REPORT_MIN_FILL_SECONDS",
                3u64,
                "a whole number of seconds",
            )?)
            .unwrap_or(3),
        };
        let evidence_max_bytes =
            positive("EVIDENCE_MAX_MB", 200, "megabytes")?.min(100 * 1024) * 1024 * 1024;
        let s3 = match var("S3_BUCKET") {
            None => None,
            Some(bucket) => {
                let endpoint = var("S3_ENDPOINT").unwrap_or_default();
                if !endpoint.is_empty() && url::Url::parse(&endpoint).is_err() {
                    return Err(ConfigError {
                        key: "S3_ENDPOINT",
                        expected: format!(
                            "must be a URL such as https://s3.example:9000 (got {endpoint:?})"
                        ),
                    });
                }
                let key = |k: &'static str| {
                    var(k).ok_or(ConfigError {
                        key: k,
                        expected: "must be set when S3_BUCKET is".into(),
                    })
                };
                Some(S3Config {
                    bucket,
                    endpoint,
                    region: var("S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: key("S3_ACCESS_KEY_ID")?,
                    secret_access_key: key("S3_SECRET_ACCESS_KEY")?,
                })
            }
        };
        let report_cutoff_day = parsed(
            "REPORT_CUTOFF_DAY",
            15u32,
            "a day of the month from 1 to 28",
        )?;
        if !(1..=28).contains(&report_cutoff_day) {
            return Err(ConfigError {
                key: "REPORT_CUTOFF_DAY",
                expected: format!(
                    "must be a day of the month from 1 to 28 (got {report_cutoff_day})"
                ),
            });
        }
        let export_max_rows = positive("EXPORT_MAX_ROWS", 1_000_000, "rows")?;
        let require_2fa_for = match var("REQUIRE_2FA_FOR") {
            None => vec![
                crate::domain::role::Role::Admin,
                crate::domain::role::Role::Supervisor,
            ],
            Some(v) if v == "none" => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| r.replace('-', "_").parse())
                .collect::<Result<_, _>>()
                .map_err(|_| ConfigError {
                    key: "REQUIRE_2FA_FOR",
                    expected: format!(
                        "must be a comma-separated list of roles (admin, supervisor, officer, national_analyst), or none (got {v:?})"
                    ),
                })?,
        };
        let api_requests_per_minute =
            u32::try_from(positive("API_REQUESTS_PER_MINUTE", 600, "requests")?).unwrap_or(600);
        Ok(Config {
            s3,
            evidence_max_bytes,
            report_cutoff_day,
            export_max_rows,
            api_requests_per_minute,
            require_2fa_for,
            portal,
            mail,
            database_url,
            replica_url,
            replica_sticky: Duration::from_secs(replica_sticky),
            bind,
            public_base_url,
            data_dir,
            unit_name,
            ref_prefix,
            default_lang,
            time_zone,
            admin_email,
            session_idle: Duration::from_secs(idle * 60),
            session_lifetime: Duration::from_secs(lifetime * 3600),
            pool_size: u32::try_from(pool_size.min(200)).unwrap_or(10),
            db_timeout: Duration::from_secs(db_timeout),
            login_ip_max_failures: i64::try_from(ip_max).unwrap_or(20),
            trusted_proxies,
            metrics_allow,
            metrics_token,
        })
    }

    /// Whether users reach us over TLS (cookies get `Secure`, responses get HSTS).
    pub fn https(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }
}
