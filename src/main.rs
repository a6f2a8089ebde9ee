use std::io::Read;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use clap::{Parser, Subcommand, ValueEnum};
use env_logger::Env;

use cyberdesk::{auth::RequestMeta, config::Config, db, error::AppError, mail, services, AppState};

#[derive(Parser)]
#[command(
    name = "cyberdesk",
    version,
    about = "Case management for a police cyber unit"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill the database with realistic fake cases (demos, benchmarks).
    Seed {
        /// How many cases to add.
        #[arg(long, default_value_t = 1000)]
        cases: i64,
        /// Spread them over this many units: the first, and provincial
        /// police units made from the provinces (at most 35).
        #[arg(long, default_value_t = 1)]
        units: usize,
        /// Password for the seed staff (read from standard input).
        #[arg(long)]
        staff_password_stdin: bool,
    },
    /// Load a demo unit into the database for a first look (once).
    ///
    /// Staff with a printed password, a few thousand cases whose mule
    /// accounts recur, public reports waiting in intake, exhibits, and the
    /// mail they caused (written under DATA_DIR/mail; not with SMTP_HOST
    /// set). Run again, it adds nothing.
    Demo {
        /// How many cases (100-100000).
        #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(i64).range(100..=100_000))]
        cases: i64,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Mail delivery.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Police units: add, list, edit.
    Unit {
        #[command(subcommand)]
        command: UnitCommand,
    },
    /// Import a register of the previous agency (.xlsx, .xls, .ods, .csv).
    Import(ImportArgs),
    /// The audit log: check its hash chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// API tokens: create one (printed once), list a user's.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Back up the database and every stored file into DIR (new or empty),
    /// or check a backup: `backup verify DIR`.
    #[command(args_conflicts_with_subcommands = true)]
    Backup {
        #[command(subcommand)]
        command: Option<BackupCommand>,
        /// The folder to write the backup into.
        dir: Option<std::path::PathBuf>,
    },
    /// Restore a backup onto an empty database (DATABASE_URL) and DATA_DIR,
    /// then check counts, the audit log and every file's hash.
    Restore {
        /// The backup's folder.
        dir: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Check a backup against its manifest (exit 1 naming what does not hold).
    Verify { dir: std::path::PathBuf },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain: exit 0 when intact, 1 naming the first row that
    /// does not hold.
    Verify,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token for a user or service account; it is printed once.
    Create {
        /// The account's e-mail.
        #[arg(long)]
        user: String,
        /// Comma-separated: cases:read, cases:write, submissions:read,
        /// identifiers:lookup, hotlist:read.
        #[arg(long)]
        scope: String,
        /// Days until it expires (1-730; default 90).
        #[arg(long, default_value = "")]
        expires: String,
        /// What uses it (shown in the token list).
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List an account's tokens (never their secrets).
    List {
        #[arg(long)]
        user: String,
    },
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The register to import.
    #[arg(required_unless_present = "template")]
    file: Option<std::path::PathBuf>,
    /// A mapping file (TOML) naming the columns of a register whose headers
    /// are not the canonical ones (see README).
    #[arg(long)]
    mapping: Option<std::path::PathBuf>,
    /// Where the records come from (default: the mapping's `source`, else the file's name).
    #[arg(long)]
    source: Option<String>,
    /// The unit receiving the cases (its code; default: the first unit).
    #[arg(long, default_value = "")]
    unit: String,
    /// Read and check every row, write no case.
    #[arg(long)]
    dry_run: bool,
    /// Write the rejected rows, with a reason column, to this CSV file.
    #[arg(long)]
    errors: Option<std::path::PathBuf>,
    /// Also link the identifiers the extractor finds in descriptions.
    #[arg(long)]
    link_suggestions: bool,
    /// The administrator account recorded as running it (default: the first).
    #[arg(long)]
    by: Option<String>,
    /// Print the canonical header row and exit.
    #[arg(long)]
    template: bool,
    /// Language of the template and the messages: vi or en.
    #[arg(long, default_value = "vi")]
    lang: String,
    /// Print every row of an import (a dry run always does).
    #[arg(long)]
    verbose: bool,
}

/// The fields of a unit on the command line; on `edit`, those left out keep
/// their value.
#[derive(clap::Args)]
struct UnitArgs {
    /// Vietnamese name (official); a new name on `edit` starts at --name-from.
    #[arg(long)]
    name: Option<String>,
    /// English name (default: the Vietnamese one).
    #[arg(long)]
    name_en: Option<String>,
    /// The day the name starts (yyyy-mm-dd or dd/mm/yyyy); default: today on
    /// `edit`, always on `add`.
    #[arg(long)]
    name_from: Option<String>,
    /// ministry_department, provincial_police, cyber_division or commune_police.
    #[arg(long)]
    kind: Option<String>,
    /// Reference prefix of its cases (1-12 capitals or digits).
    #[arg(long)]
    prefix: Option<String>,
    /// The parent unit's code.
    #[arg(long)]
    parent: Option<String>,
    /// How other units reach it about a shared identifier.
    #[arg(long)]
    contact: Option<String>,
    /// IANA time zone (default Asia/Ho_Chi_Minh).
    #[arg(long)]
    time_zone: Option<String>,
}

#[derive(Subcommand)]
enum UnitCommand {
    /// Add a unit.
    Add {
        #[arg(long)]
        code: String,
        #[command(flatten)]
        fields: UnitArgs,
    },
    /// List the units with their current names.
    List,
    /// Change a unit (a new name keeps the old one for earlier records).
    Edit {
        /// The unit's current code.
        code: String,
        /// A new code.
        #[arg(long)]
        new_code: Option<String>,
        /// Deactivate (false) or reactivate (true).
        #[arg(long)]
        active: Option<bool>,
        #[command(flatten)]
        fields: UnitArgs,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Send one test message through the configured transport now and print
    /// the result (it is also recorded in the outbox).
    Test {
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Without --password-stdin a strong password is generated,
    /// printed once, and must be changed at first sign-in.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long, default_value = "")]
        team: String,
        /// The unit's code (default: the first unit).
        #[arg(long, default_value = "")]
        unit: String,
        /// Read the password from standard input (no forced change).
        #[arg(long)]
        password_stdin: bool,
        /// A service account: no password, API tokens only.
        #[arg(long, conflicts_with = "password_stdin")]
        service: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Supervisor,
    Officer,
    NationalAnalyst,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // .env first, so RUST_LOG set there applies to the logger too.
    dotenvy::dotenv().ok();
    if let Err(e) = init_logging() {
        eprintln!("cyberdesk: {e}");
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cyberdesk: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => {
            prepare_database(&config).map(|()| println!("migrations are up to date"))
        }
        Command::Seed {
            cases,
            units,
            staff_password_stdin,
        } => seed(&config, (cases, units), staff_password_stdin),
        Command::Demo { cases } => demo(&config, cases),
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    role,
                    team,
                    unit,
                    password_stdin,
                    service,
                },
        } => add_user(
            &config,
            email,
            name,
            role,
            (team, unit),
            (password_stdin, service),
        ),
        Command::Token { command } => token_command(&config, command),
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(&config),
        Command::Unit { command } => unit_command(&config, command),
        Command::Backup { command, dir } => backup_command(&config, command, dir),
        Command::Restore { dir } => restore(&config, &dir),
        Command::Import(args) => import(&config, args),
        Command::Mail {
            command: MailCommand::Test { to },
        } => mail_test(&config, &to),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cyberdesk: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Creates the database if needed and runs migrations; errors become one line
/// that says where PostgreSQL was expected and how to point elsewhere.
fn prepare_database(config: &Config) -> Result<(), String> {
    let place = db::describe_url(&config.database_url);
    db::ensure_database(&config.database_url)
        .and_then(|()| db::run_migrations(&config.database_url))
        .map_err(|e| {
            let reason = e.to_string().lines().next().unwrap_or("").trim().to_owned();
            format!(
                "cannot use PostgreSQL at {place}: {reason}. Start PostgreSQL there, or set DATABASE_URL (environment or .env), e.g. DATABASE_URL=postgres://user:password@host:5432/cyberdesk"
            )
        })?;
    // The first unit takes its name and prefix from the settings, once.
    let mut conn = db::connect(&config.database_url)
        .map_err(|e| format!("cannot connect to PostgreSQL at {place}: {e}"))?;
    match services::units::adopt_settings(&mut conn, config) {
        Ok(true) => log::info!(
            "the first unit now has the reference prefix {} and the name of UNIT_NAME; edit it at /admin/units",
            config.ref_prefix
        ),
        Ok(false) => {}
        Err(e) => return Err(format!("cannot set up the first unit: {e}")),
    }
    Ok(())
}

/// One plain connection for a command-line run. Not a pool: its background
/// threads may still be inside libpq when the process exits, and the exit-time
/// TLS clean-up under them crashed `mail test` with SIGSEGV in CI.
fn cli_connection(config: &Config) -> Result<diesel::PgConnection, String> {
    db::connect(&config.database_url).map_err(|e| format!("cannot connect to PostgreSQL: {e}"))
}

/// `cyberdesk unit add|list|edit`.
fn unit_command(config: &Config, command: UnitCommand) -> Result<(), String> {
    use services::units::{self, UnitInput};
    prepare_database(config)?;
    let mut conn = db::connect(&config.database_url)
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let meta = RequestMeta {
        ip: "cli".into(),
        user_agent: "cyberdesk unit".into(),
        api_token_id: None,
    };
    let fill = |input: &mut UnitInput, f: UnitArgs| {
        let set = |slot: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut input.name_vi, f.name);
        set(&mut input.name_en, f.name_en);
        set(&mut input.name_from, f.name_from);
        set(&mut input.kind, f.kind);
        set(&mut input.ref_prefix, f.prefix);
        set(&mut input.parent, f.parent);
        set(&mut input.contact, f.contact);
        set(&mut input.time_zone, f.time_zone);
    };
    let result = match command {
        UnitCommand::List => {
            for v in units::list(&mut conn, None).map_err(|e| e.to_string())? {
                let u = &v.unit;
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    u.code,
                    u.ref_prefix,
                    u.kind,
                    v.parent_code.as_deref().unwrap_or("-"),
                    v.current().map_or("", |n| n.name_vi.as_str()),
                    if u.active { "" } else { "\t(inactive)" }
                );
            }
            return Ok(());
        }
        UnitCommand::Add { code, fields } => {
            let mut input = UnitInput {
                code,
                active: true,
                ..Default::default()
            };
            fill(&mut input, fields);
            units::create(&mut conn, None, &meta, &input)
        }
        UnitCommand::Edit {
            code,
            new_code,
            active,
            fields,
        } => {
            let Some(u) = units::by_code(&mut conn, &code).map_err(|e| e.to_string())? else {
                return Err(format!(
                    "no unit has the code {code}; `cyberdesk unit list` shows them"
                ));
            };
            let parent = match u.parent_id {
                Some(p) => {
                    cyberdesk::models::unit::find(&mut conn, p)
                        .map_err(|e| e.to_string())?
                        .code
                }
                None => String::new(),
            };
            let mut input = UnitInput {
                code: new_code.unwrap_or_else(|| u.code.clone()),
                kind: u.kind.code().into(),
                parent,
                ref_prefix: u.ref_prefix.clone(),
                time_zone: u.time_zone.clone(),
                contact: u.contact.clone(),
                active: active.unwrap_or(u.active),
                ..Default::default()
            };
            fill(&mut input, fields);
            units::update(&mut conn, None, &meta, u.id, &input)
        }
    };
    match result {
        Ok(u) => {
            println!("unit {} (prefix {}) saved", u.code, u.ref_prefix);
            Ok(())
        }
        Err(AppError::Form(errors)) => Err(errors
            .iter()
            .map(|(field, key)| {
                format!("{field}: {}", cyberdesk::i18n::t(config.default_lang, key))
            })
            .collect::<Vec<_>>()
            .join("; ")),
        Err(e) => Err(e.to_string()),
    }
}

/// `LOG_FORMAT=text` (default: env_logger's lines, fields appended as
/// `req=…`) or `json`: one object per line with `ts`, `level`, `target`,
/// `msg` and the fields (`req`, the request's reference id), for journald
/// or a log store. What is logged is the same either way: no bodies, no
/// query strings, no secrets.
fn init_logging() -> Result<(), String> {
    use std::io::Write;
    let mut builder = env_logger::Builder::from_env(Env::default().default_filter_or("info"));
    match std::env::var("LOG_FORMAT").unwrap_or_default().as_str() {
        "" | "text" => {}
        "json" => {
            builder.format(|buf, record| {
                let mut line = serde_json::Map::new();
                line.insert(
                    "ts".into(),
                    chrono::Utc::now()
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                        .into(),
                );
                line.insert("level".into(), record.level().as_str().into());
                line.insert("target".into(), record.target().into());
                line.insert("msg".into(), record.args().to_string().into());
                let mut fields = Fields(&mut line);
                let _ = record.key_values().visit(&mut fields);
                if !line.contains_key("req") {
                    if let Some(id) = cyberdesk::error::request_id() {
                        line.insert("req".into(), id.into());
                    }
                }
                writeln!(buf, "{}", serde_json::Value::Object(line))
            });
        }
        other => return Err(format!("LOG_FORMAT must be text or json (got {other:?})")),
    }
    builder.init();
    Ok(())
}

/// Copies a log record's fields into its JSON line.
struct Fields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl<'kvs> log::kv::VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        self.0.insert(key.to_string(), value.to_string().into());
        Ok(())
    }
}

fn serve(config: Config) -> Result<(), String> {
    prepare_database(&config)?;
    let state = web::Data::new(AppState::new(config));
    first_run(&state)?;
    std::fs::create_dir_all(&state.config.data_dir).map_err(|e| {
        format!(
            "cannot create DATA_DIR {}: {e}",
            state.config.data_dir.display()
        )
    })?;
    spawn_housekeeping(state.clone());
    // Reference data changed by any instance (or by hand) is dropped here too.
    let (url, caches) = (state.config.database_url.clone(), state.caches.clone());
    std::thread::spawn(move || cyberdesk::cache::listen(&url, &caches));
    if let Some(replica) = state.replica.clone() {
        let (primary, window) = (state.pool.clone(), state.config.replica_sticky);
        std::thread::spawn(move || db::replica::watch(&primary, &replica, window));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let sender = if state.config.mail.sender {
        let handle = mail::spawn_sender(state.pool.clone(), state.config.clone(), stop.clone())
            .map_err(|e| format!("cannot start the mail sender: {e}"))?;
        Some(handle)
    } else {
        log::info!("mail sender is off (MAIL_SENDER=off): this instance only queues mail");
        None
    };
    let bind = state.config.bind;
    let server_state = state.clone();
    let public = state.config.public_base_url.clone();
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(server_state.clone())
                .configure(cyberdesk::configure)
        })
        .bind(bind)
        .map_err(|e| format!("cannot listen on {bind} (set BIND to a free address): {e}"))?
        .shutdown_timeout(30);
        log::info!("cyberdesk listening on http://{bind} (public address {public})");
        // Ctrl-C and SIGTERM stop accepting, let in-flight requests finish (30 s at most).
        server.run().await.map_err(|e| format!("server error: {e}"))
    })?;
    // Let the sender finish the mail in hand: it is marked sent, not sent twice.
    stop.store(true, Ordering::Relaxed);
    if let Some(handle) = sender {
        let _ = handle.join();
    }
    log::info!("cyberdesk stopped");
    Ok(())
}

/// On the very first start, creates the administrator and prints the one-time
/// password to the log.
fn first_run(state: &AppState) -> Result<(), String> {
    let mut conn = state
        .pool
        .get()
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    match services::auth::bootstrap_admin(&mut conn, &state.config) {
        Ok(Some(password)) => {
            let message = format!(
                "first start: created administrator {} with one-time password {password} - sign in at {}/login; it must be changed at first sign-in",
                state.config.admin_email, state.config.public_base_url
            );
            // The password exists nowhere else: print it even if logging is off.
            if log::log_enabled!(log::Level::Warn) {
                log::warn!("{message}");
            } else {
                eprintln!("{message}");
            }
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(format!("cannot create the first administrator: {e}")),
    }
}

/// Expired sessions and old sign-in attempts are removed every 15 minutes;
/// the hot lists are recomputed every 5 (by whichever instance gets there).
fn spawn_housekeeping(state: web::Data<AppState>) {
    // API token use counts reach the database every 5 seconds.
    let api = state.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(5));
        let flushed = api
            .pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut c| api.api.flush(&mut c).map_err(AppError::from));
        if let Err(e) = flushed {
            log::warn!("recording API token uses failed: {e}");
        }
    });
    let hot = state.clone();
    std::thread::spawn(move || loop {
        let refreshed = hot.pool.get().map_err(AppError::from).and_then(|mut c| {
            services::identifiers::refresh_hot_lists(&mut c, chrono::Duration::minutes(5))
                .map_err(AppError::from)
        });
        if let Err(e) = refreshed {
            log::warn!("refreshing the hot lists failed: {e}");
        }
        std::thread::sleep(std::time::Duration::from_secs(60));
    });
    let mut chain_checked: Option<chrono::NaiveDate> = None;
    let mut retention_ran: Option<chrono::NaiveDate> = None;
    std::thread::spawn(move || loop {
        // The audit log's chain is walked once a day (by each instance).
        let today = chrono::Utc::now().date_naive();
        if chain_checked != Some(today) {
            let checked = state
                .pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut c| services::audit_log::daily_check(&mut c, &state.config));
            match checked {
                Ok(_) => chain_checked = Some(today),
                Err(e) => log::warn!("checking the audit log's chain failed: {e}"),
            }
        }
        // Personal data past their retention rule are anonymised once a day
        // (by whichever instance comes first).
        if retention_ran != Some(today) {
            let ran = state.pool.get().map_err(AppError::from).and_then(|mut c| {
                services::retention::run_daily(
                    &mut c,
                    &cyberdesk::auth::RequestMeta::default(),
                    chrono::Utc::now(),
                )
            });
            match ran {
                Ok(n) => {
                    retention_ran = Some(today);
                    if let Some(n) = n.filter(|n| *n > 0) {
                        log::info!("retention: anonymised {n} cases");
                    }
                }
                Err(e) => log::warn!("the retention run failed: {e}"),
            }
        }
        match state
            .pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut c| services::auth::housekeeping(&mut c, &state.config))
        {
            Ok(n) if n > 0 => log::info!("housekeeping removed {n} expired rows"),
            Ok(_) => {}
            Err(e) => log::warn!("housekeeping failed: {e}"),
        }
        match state
            .pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut c| services::portal::expire_staged(&mut c, &state.config))
        {
            Ok(n) if n > 0 => log::info!("housekeeping removed {n} abandoned uploads"),
            Ok(_) => {}
            Err(e) => log::warn!("removing abandoned uploads failed: {e}"),
        }
        state
            .housekeeping_at
            .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_secs(15 * 60));
    });
}

fn add_user(
    config: &Config,
    email: String,
    name: String,
    role: RoleArg,
    (team, unit): (String, String),
    (password_stdin, service): (bool, bool),
) -> Result<(), String> {
    prepare_database(config)?;
    let password = if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        Some(s.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let role = match role {
        RoleArg::Admin => "admin",
        RoleArg::Supervisor => "supervisor",
        RoleArg::Officer => "officer",
        RoleArg::NationalAnalyst => "national_analyst",
    };
    let input = services::users::UserInput {
        email,
        full_name: name,
        role: role.into(),
        team,
        on_duty: false,
        lang: config.default_lang.code().into(),
        unit,
        service,
    };
    let mut conn = cli_connection(config)?;
    let meta = RequestMeta {
        ip: "cli".into(),
        user_agent: "cyberdesk user add".into(),
        api_token_id: None,
    };
    match services::users::create(&mut conn, None, &meta, &input, password.as_deref()) {
        Ok((user, generated)) => {
            println!("created {} ({}) with id {}", user.email, user.role, user.id);
            if let Some(p) = generated {
                println!("one-time password: {p}");
                println!("it must be changed at first sign-in");
            }
            Ok(())
        }
        Err(AppError::Form(errors)) => {
            let problems: Vec<String> = errors
                .iter()
                .map(|(field, key)| {
                    format!(
                        "{field}: {}",
                        cyberdesk::i18n::t(cyberdesk::i18n::Lang::En, key)
                    )
                })
                .collect();
            Err(format!("user not created: {}", problems.join("; ")))
        }
        Err(e) => Err(format!("user not created: {e}")),
    }
}

/// `cyberdesk audit verify`.
fn audit_verify(config: &Config) -> Result<(), String> {
    prepare_database(config)?;
    let mut conn = cli_connection(config)?;
    let v = services::audit_log::verify(&mut conn)
        .map_err(|e| format!("cannot read the audit log: {e}"))?;
    let hex = cyberdesk::domain::token::hex(&v.last_hash);
    match v.broken {
        None => {
            println!("audit log intact: {} rows, last hash {hex}", v.rows);
            Ok(())
        }
        Some(b) if b.id == 0 => Err(format!(
            "audit log broken after row {} (position {}): the chain's head does not name the last row",
            v.rows,
            b.seq.unwrap_or_default()
        )),
        Some(b) => Err(format!(
            "audit log broken at row id {} (position {}): {}",
            b.id,
            b.seq.map_or_else(|| "none".to_owned(), |s| s.to_string()),
            b.fault.describe()
        )),
    }
}

fn backup_command(
    config: &Config,
    command: Option<BackupCommand>,
    dir: Option<std::path::PathBuf>,
) -> Result<(), String> {
    use services::backup;
    match (command, dir) {
        (Some(BackupCommand::Verify { dir }), _) => {
            let m = backup::verify(&dir)?;
            println!(
                "backup OK: {} taken {}, {} stored files, {} bytes in all, {} audit rows",
                m.database,
                m.created_at,
                m.stored_files(),
                m.total_bytes(),
                m.audit.rows
            );
            Ok(())
        }
        (None, Some(dir)) => {
            let m = backup::backup(config, &dir)?;
            let cases = m.counts.get("cases").copied().unwrap_or(0);
            println!(
                "backed up {} into {}: {cases} cases, {} stored files, {} bytes, audit log {} rows ({})",
                m.database,
                dir.display(),
                m.stored_files(),
                m.total_bytes(),
                m.audit.rows,
                if m.audit.intact { "chain intact" } else { "chain BROKEN: run cyberdesk audit verify" }
            );
            Ok(())
        }
        (None, None) => Err("name the folder: cyberdesk backup DIR (or backup verify DIR)".into()),
    }
}

fn restore(config: &Config, dir: &std::path::Path) -> Result<(), String> {
    let r = services::backup::restore(config, dir)?;
    println!(
        "restored {} taken {} into {}: {} tables with the backup's row counts, audit log {} rows with its last hash, {} stored files with their recorded SHA-256",
        r.manifest.database,
        r.manifest.created_at,
        db::describe_url(&config.database_url),
        r.manifest.counts.len(),
        r.manifest.audit.rows,
        r.files_checked
    );
    Ok(())
}

/// `cyberdesk token`: tokens made from the command line are audited as the
/// web's are, with no actor.
fn token_command(config: &Config, command: TokenCommand) -> Result<(), String> {
    prepare_database(config)?;
    let mut conn = cli_connection(config)?;
    let find = |conn: &mut diesel::PgConnection, email: &str| {
        cyberdesk::models::user::find_by_email(conn, &services::users::normalise_email(email))
            .map_err(|e| format!("cannot read the accounts: {e}"))?
            .ok_or_else(|| format!("no account has the e-mail {email}"))
    };
    match command {
        TokenCommand::Create {
            user,
            scope,
            expires,
            name,
        } => {
            let owner = find(&mut conn, &user)?;
            let meta = RequestMeta {
                ip: "cli".into(),
                user_agent: "cyberdesk token create".into(),
                api_token_id: None,
            };
            let form = services::api::TokenForm {
                name,
                scopes: vec![scope],
                days: expires,
            };
            match services::api::create(&mut conn, None, &meta, owner.id, &form) {
                Ok(c) => {
                    println!("{}", c.secret);
                    eprintln!(
                        "token {} for {} ({}), expires {}; it is shown only this once",
                        c.token.id,
                        owner.email,
                        c.token.scopes.join(","),
                        c.token
                            .expires_at
                            .map_or_else(|| "never".to_owned(), |at| at.to_rfc3339())
                    );
                    Ok(())
                }
                Err(AppError::Form(errors)) => Err(format!(
                    "token not created: {}",
                    errors
                        .iter()
                        .map(|(field, key)| format!(
                            "{field}: {}",
                            cyberdesk::i18n::t(cyberdesk::i18n::Lang::En, key)
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                Err(AppError::Invalid(key)) => Err(format!(
                    "token not created: {}",
                    cyberdesk::i18n::t(cyberdesk::i18n::Lang::En, key.0)
                )),
                Err(e) => Err(format!("token not created: {e}")),
            }
        }
        TokenCommand::List { user } => {
            let owner = find(&mut conn, &user)?;
            let tokens = cyberdesk::models::api_token::of_user(&mut conn, owner.id)
                .map_err(|e| format!("cannot read the tokens: {e}"))?;
            let now = chrono::Utc::now();
            for t in tokens {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.is_live(now) {
                    "live"
                } else {
                    "expired"
                };
                println!(
                    "{}\tcdk_{}…\t{}\t{}\t{} uses\t{}",
                    t.id,
                    t.prefix,
                    t.name,
                    t.scopes.join(","),
                    t.uses,
                    state
                );
            }
            Ok(())
        }
    }
}

/// `cyberdesk import`: the same run as `/admin/import`, with a progress bar.
fn import(config: &Config, args: ImportArgs) -> Result<(), String> {
    use cyberdesk::i18n::Lang;
    use services::import;
    let lang = if args.lang == "en" {
        Lang::En
    } else {
        Lang::Vi
    };
    if args.template {
        let out = import::template_csv(lang);
        // Without the BOM on a terminal; a redirected file keeps it for Excel.
        let text = String::from_utf8_lossy(&out[3..]).into_owned();
        print!("{text}");
        return Ok(());
    }
    let path = args.file.ok_or("give the file to import")?;
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mapping_text = match &args.mapping {
        Some(m) => {
            std::fs::read_to_string(m).map_err(|e| format!("cannot read {}: {e}", m.display()))?
        }
        None => String::new(),
    };
    prepare_database(config)?;
    let mut conn = cli_connection(config)?;
    let actor = import::Actor::cli(&mut conn, args.by.as_deref(), lang)
        .map_err(|_| match &args.by {
            Some(e) => format!("{e} is not an active administrator"),
            None => "no active administrator to run the import as: add one with `cyberdesk user add --role admin`".into(),
        })?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = args.source.clone().unwrap_or_default();
    let source = if source.is_empty()
        && import::mapping_of(&mapping_text)
            .ok()
            .and_then(|m| m.source)
            .is_none()
    {
        path.file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        source
    };
    let settings = import::settings(
        &mut conn,
        &args.unit,
        &source,
        &mapping_text,
        args.link_suggestions,
    )
    .map_err(|e| e.to_string())?
    .map_err(|r| {
        let mut out: Vec<String> = r
            .errors
            .iter()
            .filter(|(f, _)| *f != "mapping")
            .map(|(f, key)| format!("{f}: {}", cyberdesk::i18n::t(lang, key)))
            .collect();
        if let Some(p) = r.mapping {
            out.push(format!("mapping: {}", p.text(lang)));
        }
        out.join("; ")
    })?;
    let sha = {
        use sha2::Digest;
        cyberdesk::domain::token::hex(&sha2::Sha256::digest(&bytes))
    };
    let kind = if args.dry_run {
        cyberdesk::models::import_run::RunKind::DryRun
    } else {
        cyberdesk::models::import_run::RunKind::Import
    };
    let file = import::NewFile {
        file_name: &file_name,
        file_key: "",
        sha256: &sha,
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        format: "",
    };
    let run = import::start(&mut conn, &actor, kind, None, &file, &settings, "cli")
        .map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} rows, {elapsed}, {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let every = args.dry_run || args.verbose;
    let mut print = |line: &import::Line| {
        if every || !matches!(line.outcome.as_str(), "created" | "already") {
            let text = line.text(lang);
            if bar.is_hidden() {
                println!("{text}");
            } else {
                bar.println(text);
            }
        }
    };
    let counts = import::execute(
        &mut conn,
        &run,
        &actor,
        &bytes,
        args.errors.as_deref(),
        &mut print,
        &mut |c| {
            bar.set_length(c.total.max(c.done) as u64);
            bar.set_position(c.done as u64);
        },
    );
    bar.finish_and_clear();
    let c = counts.map_err(|e| match e {
        AppError::Invalid(key) => cyberdesk::i18n::t(lang, key.0),
        other => other.to_string(),
    })?;
    let verb = if args.dry_run {
        "would create"
    } else {
        "created"
    };
    println!(
        "{} rows: {verb} {}, already imported {}, differing {}, rejected {} (run {})",
        c.done, c.created, c.already, c.differing, c.rejected, run.id
    );
    Ok(())
}

fn seed(
    config: &Config,
    (cases, units): (i64, usize),
    staff_password_stdin: bool,
) -> Result<(), String> {
    if !(1..=10_000_000).contains(&cases) {
        return Err("--cases must be between 1 and 10000000".into());
    }
    if !(1..=35).contains(&units) {
        return Err("--units must be between 1 and 35".into());
    }
    prepare_database(config)?;
    let password = if staff_password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        Some(s.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let mut conn = cli_connection(config)?;
    cyberdesk::seed::run(
        &mut conn,
        config,
        (cases, units),
        password.as_deref(),
        |done, total, secs| {
            let width = 30;
            let filled = usize::try_from(done * width / total.max(1)).unwrap_or(0);
            eprint!(
                "\r[{}{}] {done}/{total} cases, {secs:.0} s, {:.0}/s   ",
                "#".repeat(filled),
                "-".repeat(30 - filled),
                done as f64 / secs.max(0.001)
            );
        },
    )
    .map_err(|e| format!("seeding failed: {e}"))?;
    eprintln!();
    println!("seeded {cases} cases");
    Ok(())
}

/// `cyberdesk demo`: loads the demo (`cyberdesk::demo`) and says what is
/// where, or that it is there already.
fn demo(config: &Config, cases: i64) -> Result<(), String> {
    use cyberdesk::demo::{self, Outcome};
    demo::check_settings(config)?;
    prepare_database(config)?;
    let mut conn = cli_connection(config)?;
    let (admin_password, outcome) = demo::run(&mut conn, config, cases, |line| eprintln!("{line}"))
        .map_err(|e| format!("loading the demo failed: {e}"))?;
    let base = config.public_base_url.trim_end_matches('/');
    if let Some(p) = &admin_password {
        println!(
            "created the administrator {} with the one-time password {p} (it must be changed at first sign-in)",
            config.admin_email
        );
    }
    match outcome {
        Outcome::AlreadyLoaded(e) => {
            println!(
                "the demo is already loaded: {} cases, {} public reports waiting in intake; sign in at {base}/login as {} (supervisor) or canbo5@seed.pa05.vn (officer on duty) with the password printed when it was loaded",
                e.cases,
                e.waiting,
                demo::MARKER
            );
            Ok(())
        }
        Outcome::NotEmpty(e) => Err(format!(
            "this database already holds {} cases that are not the demo's, so nothing was added; point DATABASE_URL at a new database for the demo",
            e.cases
        )),
        Outcome::Loaded(s) => {
            print_demo(config, &s);
            Ok(())
        }
    }
}

/// What `cyberdesk demo` loaded, and where to look at it.
fn print_demo(config: &Config, s: &cyberdesk::demo::Summary) {
    use cyberdesk::domain::role::Role;
    let base = config.public_base_url.trim_end_matches('/');
    let short = |email: &str| email.trim_end_matches("@seed.pa05.vn").to_owned();
    println!();
    println!(
        "Demo loaded into the database {} at {}.",
        db::database_name(&config.database_url).unwrap_or_default(),
        db::describe_url(&config.database_url)
    );
    println!();
    println!("Staff (all @seed.pa05.vn), password: {}", s.staff_password);
    let mark = |m: &cyberdesk::demo::StaffMember| {
        format!("{}{}", short(&m.email), if m.on_duty { "*" } else { "" })
    };
    let supervisors: Vec<String> = s
        .staff
        .iter()
        .filter(|m| m.role == Role::Supervisor)
        .map(mark)
        .collect();
    println!("  {:<12} {}", "supervisors", supervisors.join(" "));
    let mut teams: Vec<&str> = s
        .staff
        .iter()
        .filter(|m| m.role == Role::Officer)
        .filter_map(|m| m.team.as_deref())
        .collect();
    teams.sort_unstable();
    teams.dedup();
    for team in teams {
        let members: Vec<String> = s
            .staff
            .iter()
            .filter(|m| m.role == Role::Officer && m.team.as_deref() == Some(team))
            .map(mark)
            .collect();
        println!("  {:<12} {}", team, members.join(" "));
    }
    println!(
        "  * on duty (trực ban): triages public reports at /intake and is mailed each new one"
    );
    let two_factor: Vec<&str> = config.require_2fa_for.iter().map(|r| r.code()).collect();
    if config.require_2fa_for.contains(&Role::Supervisor) {
        println!(
            "  REQUIRE_2FA_FOR is {}: supervisors (and these roles) are asked to set up an authenticator app (TOTP) at first sign-in, so have one at hand",
            two_factor.join(",")
        );
    } else if !two_factor.is_empty() {
        println!(
            "  REQUIRE_2FA_FOR is {}: these roles are asked to set up an authenticator app (TOTP) at first sign-in",
            two_factor.join(",")
        );
    }
    println!();
    println!("{} cases. Mule accounts that recur across them:", s.cases);
    for (value, n) in &s.mules {
        println!("  {value:<24} {n:>3} cases");
    }
    if !s.hot.is_empty() {
        println!("Top of the 30-day hot list:");
        for h in &s.hot {
            println!(
                "  {:<24} {:>3} reports, {} ₫",
                h.value,
                h.reports,
                cyberdesk::domain::value::fmt_thousands(h.loss)
            );
        }
    }
    println!();
    println!(
        "{} public reports received through the portal: {} waiting in intake, {} naming an account or phone already in a case, {} with files. Tracking codes:",
        s.reports.len(),
        s.waiting,
        s.reports_with_hits,
        s.reports_with_files,
    );
    let codes: Vec<String> = s
        .reports
        .iter()
        .map(|c| cyberdesk::domain::code::format_code(c))
        .collect();
    for row in codes.chunks(5) {
        println!("  {}", row.join("  "));
    }
    let exhibits: Vec<String> = s
        .exhibits
        .iter()
        .map(|(reference, n)| format!("{reference} ({n})"))
        .collect();
    println!(
        "{} exhibits attached by the officers of {}",
        s.exhibits.iter().map(|(_, n)| n).sum::<usize>(),
        exhibits.join(", ")
    );
    println!(
        "{} mails written ({}){}",
        s.mails_sent,
        s.mail_to,
        if s.mails_queued > 0 {
            format!("; {} still queued, see /admin/mail", s.mails_queued)
        } else {
            String::new()
        }
    );
    println!();
    println!("Start the server (cyberdesk serve) and open:");
    for (what, path, who) in [
        (
            "sign in",
            "/login",
            "lanhdao0 (supervisor) or canbo5 (officer on duty)",
        ),
        (
            "intake",
            "/intake",
            "the reports waiting, with their identifier hits",
        ),
        ("cases", "/cases", "the unit's cases"),
        (
            "hot list",
            "/identifiers",
            "the mule accounts (supervisors)",
        ),
        ("statistics", "/stats", ""),
    ] {
        println!(
            "  {what:<11} {}",
            format!("{base}{path:<14} {who}").trim_end()
        );
    }
}

/// `mail test --to`: queues a test message, sends it at once through the
/// configured transport and records the result on its outbox row.
fn mail_test(config: &Config, to: &str) -> Result<(), String> {
    if to.parse::<lettre::Address>().is_err() {
        return Err(format!("--to must be an e-mail address (got {to:?})"));
    }
    prepare_database(config)?;
    let transport = mail::Transport::new(&config.mail).map_err(|e| e.to_string())?;
    let mut conn = cli_connection(config)?;
    let new =
        services::notify::test_mail(config, to, config.default_lang).map_err(|e| e.to_string())?;
    let row = cyberdesk::models::outbox::insert_held(
        &mut conn,
        &new,
        chrono::Utc::now() + chrono::Duration::minutes(10),
    )
    .map_err(|e| format!("cannot queue the test message: {e}"))?;
    let how = config.mail.transport.describe();
    let result = mail::build(config, &row)
        .and_then(|m| transport.send(&m, &format!("{}-{}", row.id, row.token)));
    match result {
        Ok(()) => {
            cyberdesk::models::outbox::mark_sent(
                &mut conn,
                row.id,
                row.attempts,
                chrono::Utc::now(),
            )
            .map_err(|e| e.to_string())?;
            println!(
                "sent to {to} via {how}; Message-ID {}",
                mail::message_id(config, &row)
            );
            Ok(())
        }
        Err(e) => {
            let _ = cyberdesk::models::outbox::mark_failed(
                &mut conn,
                row.id,
                row.attempts,
                &e.message,
                None,
            );
            Err(format!("sending to {to} via {how} failed: {e}"))
        }
    }
}
