//! The public side: reports from citizens and organisations, tracking, and what
//! reporters add later. Everything here assumes the input is hostile: every field
//! is bounded and checked, a report is stored whole or not at all, and the
//! public never learns whether a tracking code exists.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::{Connection, PgConnection};
use rand::Rng;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::domain::code::{normalise_code, random_code, CODE_LEN};
use crate::domain::form::{row_field, row_name, FormErrors, FormInput, MAX_ROWS};
use crate::domain::sign::Signer;
use crate::domain::submission::public_status;
use crate::domain::submission::PublicStatus;
use crate::domain::value::{parse_amount, parse_local};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::i18n::{k, Lang};
use crate::models::audit::{self, NewAudit};
use crate::models::case::PayMethod;
use crate::models::submission::{
    self, MessageKind, NewFile, NewSubmission, Submission, SubmissionFile, SubmissionKind,
    SubmissionStatus,
};
use crate::services::identifiers::{self, IdKind};
use crate::services::notify;
use crate::storage::{Refused, Stored};

/// Rows of money and identifiers shown at first; "add another" adds one.
pub const TX_ROWS: usize = 2;
pub const ID_ROWS: usize = 2;

/// How the reporter was first contacted (the crime form).
pub const FIRST_CONTACT: &[&str] = &[
    "phone_call",
    "sms",
    "zalo",
    "facebook",
    "telegram",
    "website",
    "email",
    "in_person",
    "other",
];

fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(normalise_code(secret).as_bytes()).to_vec()
}

/// A report accepted.
#[derive(Debug)]
pub struct Receipt {
    pub tracking_code: String,
    /// Shown once to an anonymous reporter; only its hash is kept.
    pub secret: Option<String>,
    pub received_at: DateTime<Utc>,
    pub kind: SubmissionKind,
    pub email: Option<String>,
}

/// A report refused: what to show next to the fields, and the files already
/// received and kept for the next attempt.
#[derive(Debug)]
pub struct Refusal {
    pub errors: FormErrors,
    pub staged: Vec<SubmissionFile>,
}

/// The anti-abuse checks that are not about the content.
pub struct Guards<'a> {
    pub signer: &'a Signer,
    pub now: DateTime<Utc>,
    pub min_fill_seconds: i64,
    /// Burst mode: a challenge answer is required.
    pub challenge: bool,
}

/// A draft key for a new form: random, and bound to the visitor's CSRF token
/// so nobody else can see or take the files staged under it.
pub fn new_draft(signer: &Signer, csrf: &str) -> String {
    let random = crate::domain::token::random_token(8);
    let mac = signer.digest("draft", &format!("{csrf}{random}"));
    format!("{random}{}", &mac[..16])
}

/// Whether `draft` was made by [`new_draft`] for this CSRF token.
pub fn draft_ok(signer: &Signer, csrf: &str, draft: &str) -> bool {
    if draft.len() != 32 || !draft.chars().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let (random, mac) = draft.split_at(16);
    let expected = signer.digest("draft", &format!("{csrf}{random}"));
    crate::domain::token::tokens_match(mac, &expected[..16])
}

/// The signed start time of a form.
pub fn form_stamp(signer: &Signer, now: DateTime<Utc>) -> String {
    signer.token(
        "form",
        &now.timestamp().to_string(),
        now.timestamp() + 24 * 3600,
    )
}

/// A challenge for bursts: a number written in words, to be typed in digits.
pub struct Challenge {
    pub words: String,
    pub token: String,
}

pub fn challenge(signer: &Signer, lang: Lang, now: DateTime<Utc>) -> Challenge {
    let n: u32 = rand::rng().random_range(101..1000);
    let salt = random_code(8);
    Challenge {
        words: number_words(n, lang),
        token: signer.token(
            "challenge",
            // The answer is bound by the server's key: the token does not let
            // anyone try the 899 possible answers offline.
            &format!(
                "{salt}-{}",
                signer.digest("challenge-answer", &format!("{salt}{n}"))
            ),
            now.timestamp() + 1800,
        ),
    }
}

fn challenge_ok(signer: &Signer, token: &str, answer: &str, now: DateTime<Utc>) -> bool {
    let Some(payload) = signer.verify("challenge", token, now.timestamp()) else {
        return false;
    };
    let Some((salt, hash)) = payload.split_once('-') else {
        return false;
    };
    let digits: String = answer.chars().filter(char::is_ascii_digit).collect();
    crate::domain::token::tokens_match(
        hash,
        &signer.digest("challenge-answer", &format!("{salt}{digits}")),
    )
}

/// 101–999 in words.
pub fn number_words(n: u32, lang: Lang) -> String {
    const VI: [&str; 10] = [
        "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
    ];
    const EN: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const EN_TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let (h, t, u) = (
        (n / 100) as usize,
        ((n / 10) % 10) as usize,
        (n % 10) as usize,
    );
    match lang {
        Lang::Vi => {
            let mut s = format!("{} trăm", VI[h]);
            match (t, u) {
                (0, 0) => {}
                (0, u) => s.push_str(&format!(" linh {}", VI[u])),
                (1, 0) => s.push_str(" mười"),
                (1, 5) => s.push_str(" mười lăm"),
                (1, u) => s.push_str(&format!(" mười {}", VI[u])),
                (t, 0) => s.push_str(&format!(" {} mươi", VI[t])),
                (t, 1) => s.push_str(&format!(" {} mươi mốt", VI[t])),
                (t, 5) => s.push_str(&format!(" {} mươi lăm", VI[t])),
                (t, u) => s.push_str(&format!(" {} mươi {}", VI[t], VI[u])),
            }
            s
        }
        Lang::En => {
            let mut s = format!("{} hundred", EN[h]);
            let rest = t * 10 + u;
            if rest > 0 {
                s.push_str(" and ");
                if rest < 20 {
                    s.push_str(EN[rest]);
                } else {
                    s.push_str(EN_TENS[t]);
                    if u > 0 {
                        s.push('-');
                        s.push_str(EN[u]);
                    }
                }
            }
            s
        }
    }
}

fn text(
    errors: &mut FormErrors,
    input: &FormInput,
    field: &str,
    max: usize,
    required: bool,
) -> Option<String> {
    let v = input.get(field).trim();
    if v.is_empty() {
        if required {
            errors.add(field, k("field-required"));
        }
        return None;
    }
    if v.chars().count() > max {
        errors.add(field, k("field-too-long"));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(field, k("field-invalid-text"));
    }
    Some(v.chars().take(max).collect())
}

fn past_time(
    errors: &mut FormErrors,
    input: &FormInput,
    field: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let v = input.get(field).trim();
    if v.is_empty() {
        return None;
    }
    match parse_local(v, tz) {
        None => {
            errors.add(field, k("date-invalid"));
            None
        }
        Some(d) if d > now + chrono::Duration::minutes(5) => {
            errors.add(field, k("date-in-future"));
            None
        }
        Some(d) if d.format("%Y").to_string().parse::<i32>().unwrap_or(0) < 1990 => {
            errors.add(field, k("date-too-old"));
            None
        }
        Some(d) => Some(d),
    }
}

fn choice(
    errors: &mut FormErrors,
    input: &FormInput,
    field: &str,
    allowed: &[&str],
    required: bool,
) -> Option<String> {
    let v = input.get(field).trim();
    if v.is_empty() {
        if required {
            errors.add(field, k("field-required"));
        }
        return None;
    }
    if allowed.contains(&v) {
        Some(v.to_owned())
    } else {
        errors.add(field, k("field-invalid-choice"));
        None
    }
}

/// Whether `key` is a field of this kind of form (what is stored as sent).
fn known_field(kind: SubmissionKind, key: &str) -> bool {
    const COMMON: &[&str] = &[
        "on_behalf",
        "reporter_kind",
        "anonymous",
        "reporter_name",
        "reporter_phone",
        "reporter_email",
        "reporter_address",
        "reporter_national_id",
        "reporter_tax_code",
        "victim_name",
        "confidential",
        "category_id",
        "occurred_at",
        "first_contact",
        "summary",
        "narrative",
        "consent",
        "false_report_ack",
    ];
    const INCIDENT: &[&str] = &[
        "org_name",
        "operating_unit",
        "owner_agency",
        "affected_system",
        "security_level",
        "detected_at",
        "detection_method",
        "incident_state",
        "notified",
        "ips_domains",
        "os_services",
        "measures",
        "support_requested",
    ];
    const BREACH: &[&str] = &[
        "controller",
        "data_types",
        "subjects_count",
        "discovered_at",
        "measures",
    ];
    const TX: &[&str] = &[
        "time",
        "amount",
        "method",
        "from_bank",
        "from_account",
        "to_bank",
        "to_account",
        "to_holder",
        "reference",
    ];
    const ID: &[&str] = &["kind", "value", "qualifier"];
    let row = |prefix: &str, names: &[&str]| {
        row_field(key, prefix).is_some_and(|(n, name)| n < MAX_ROWS && names.contains(&name))
    };
    COMMON.contains(&key)
        || row("id", ID)
        || match kind {
            SubmissionKind::Crime => row("tx", TX),
            SubmissionKind::Incident => INCIDENT.contains(&key),
            SubmissionKind::Breach => BREACH.contains(&key),
        }
}

/// Everything checked and normalised, ready to store.
struct Valid {
    new: NewSubmission,
    /// (kind, normalised value, role) to link.
    identifiers: Vec<(IdKind, String, &'static str, i64)>,
}

#[allow(clippy::too_many_arguments)]
fn validate(
    kind: SubmissionKind,
    input: &FormInput,
    categories: &[(i32, bool)],
    banks: &[String],
    tz: Tz,
    lang: Lang,
    now: DateTime<Utc>,
    errors: &mut FormErrors,
) -> Option<Valid> {
    let anonymous = input.checked("anonymous");
    let name = text(errors, input, "reporter_name", 200, !anonymous);
    let phone_raw = text(errors, input, "reporter_phone", 30, false);
    let phone = phone_raw.as_deref().and_then(|p| {
        let n = identifiers::phone(p);
        if n.is_none() {
            errors.add("reporter_phone", k("phone-invalid"));
        }
        n
    });
    let email_raw = text(errors, input, "reporter_email", 254, false);
    let email = email_raw.as_deref().and_then(|e| {
        let n = identifiers::email(e).filter(|_| crate::domain::value::looks_like_email(e));
        if n.is_none() {
            errors.add("reporter_email", k("email-invalid"));
        }
        n.map(|v| v.to_lowercase())
    });
    if !anonymous && phone_raw.is_none() && email_raw.is_none() {
        errors.add("reporter_phone", k("report-contact-required"));
    }
    text(errors, input, "reporter_address", 300, false);
    if let Some(id) = text(errors, input, "reporter_national_id", 20, false) {
        if !(id.len() == 9 || id.len() == 12) || !id.chars().all(|c| c.is_ascii_digit()) {
            errors.add("reporter_national_id", k("national-id-invalid"));
        }
    }
    if let Some(t) = text(errors, input, "reporter_tax_code", 20, false) {
        let digits = t.chars().filter(char::is_ascii_digit).count();
        if !t.chars().all(|c| c.is_ascii_digit() || c == '-') || !(digits == 10 || digits == 13) {
            errors.add("reporter_tax_code", k("tax-code-invalid"));
        }
    }
    choice(errors, input, "on_behalf", &["self", "other"], false);
    choice(
        errors,
        input,
        "reporter_kind",
        &["individual", "organisation"],
        false,
    );
    text(errors, input, "victim_name", 200, false);

    let category_id = match input.get("category_id").trim() {
        "" => {
            errors.add("category_id", k("field-required"));
            None
        }
        v => match v
            .parse::<i32>()
            .ok()
            .filter(|id| categories.iter().any(|(c, active)| c == id && *active))
        {
            Some(id) => Some(id),
            None => {
                errors.add("category_id", k("category-unknown"));
                None
            }
        },
    };
    let summary = text(errors, input, "summary", 200, true).unwrap_or_default();
    let narrative = text(errors, input, "narrative", 20000, true).unwrap_or_default();
    if !narrative.is_empty() && narrative.chars().count() < 20 {
        errors.add("narrative", k("report-narrative-short"));
    }
    let occurred_at = past_time(errors, input, "occurred_at", tz, now);
    choice(errors, input, "first_contact", FIRST_CONTACT, false);

    // Money.
    let methods: Vec<&str> = PayMethod::ALL.iter().map(|m| m.code()).collect();
    let bank_codes: Vec<&str> = banks.iter().map(String::as_str).collect();
    let mut total_loss: i64 = 0;
    let mut ids: Vec<(IdKind, String, &'static str, i64)> = Vec::new();
    for i in 0..input.rows("tx", 0) {
        let f = |name: &str| row_name("tx", i, name);
        let filled = [
            "time",
            "amount",
            "from_bank",
            "from_account",
            "to_bank",
            "to_account",
            "to_holder",
            "reference",
        ]
        .iter()
        .any(|n| !input.get(&f(n)).trim().is_empty());
        if !filled {
            continue;
        }
        let mut row_amount = 0;
        match parse_amount(input.get(&f("amount"))) {
            _ if input.get(&f("amount")).trim().is_empty() => {
                errors.add(f("amount"), k("field-required"))
            }
            None => errors.add(f("amount"), k("amount-invalid")),
            Some(0) => errors.add(f("amount"), k("amount-not-positive")),
            Some(a) if a > 1_000_000_000_000_000 => errors.add(f("amount"), k("amount-too-large")),
            Some(a) => {
                row_amount = a;
                total_loss = total_loss.saturating_add(a);
            }
        }
        past_time(errors, input, &f("time"), tz, now);
        choice(errors, input, &f("method"), &methods, false);
        for side in ["from", "to"] {
            let bank = choice(
                errors,
                input,
                &f(&format!("{side}_bank")),
                &bank_codes,
                false,
            );
            if let Some(acc) = text(errors, input, &f(&format!("{side}_account")), 40, false) {
                match identifiers::bank_account(bank.as_deref().unwrap_or(""), &acc) {
                    Some(v) if side == "to" => {
                        ids.push((IdKind::BankAccount, v, "suspect", row_amount))
                    }
                    Some(_) => {}
                    None => errors.add(f(&format!("{side}_account")), k("account-invalid")),
                }
            }
        }
        text(errors, input, &f("to_holder"), 100, false);
        text(errors, input, &f("reference"), 100, false);
    }
    // Suspect identifiers.
    let kinds: Vec<&str> = identifiers::PUBLIC_KINDS.iter().map(|k| k.code()).collect();
    for i in 0..input.rows("id", 0) {
        let f = |name: &str| row_name("id", i, name);
        let Some(value) = text(errors, input, &f("value"), 300, false) else {
            continue;
        };
        let Some(kind) =
            choice(errors, input, &f("kind"), &kinds, true).and_then(|c| c.parse::<IdKind>().ok())
        else {
            continue;
        };
        let qualifier = text(errors, input, &f("qualifier"), 40, false).unwrap_or_default();
        if kind == IdKind::BankAccount
            && !qualifier.is_empty()
            && !bank_codes.contains(&qualifier.as_str())
        {
            errors.add(f("qualifier"), k("field-invalid-choice"));
        }
        match identifiers::normalise(kind, &value, &qualifier) {
            Some(v) => ids.push((kind, v, "suspect", 0)),
            None => errors.add(f("value"), k("identifier-invalid")),
        }
    }

    match kind {
        SubmissionKind::Crime => {}
        SubmissionKind::Incident => {
            text(errors, input, "org_name", 300, true);
            text(errors, input, "operating_unit", 300, false);
            text(errors, input, "owner_agency", 300, false);
            text(errors, input, "affected_system", 300, true);
            choice(
                errors,
                input,
                "security_level",
                &["1", "2", "3", "4", "5"],
                false,
            );
            past_time(errors, input, "detected_at", tz, now);
            text(errors, input, "detection_method", 300, false);
            choice(
                errors,
                input,
                "incident_state",
                &["handled", "not_handled"],
                false,
            );
            text(errors, input, "notified", 500, false);
            text(errors, input, "ips_domains", 2000, false);
            text(errors, input, "os_services", 1000, false);
            text(errors, input, "measures", 2000, false);
            text(errors, input, "support_requested", 2000, false);
        }
        SubmissionKind::Breach => {
            text(errors, input, "controller", 300, true);
            text(errors, input, "data_types", 1000, true);
            if let Some(n) = text(errors, input, "subjects_count", 12, false) {
                if n.parse::<u64>().is_err() {
                    errors.add("subjects_count", k("field-invalid-number"));
                }
            }
            past_time(errors, input, "discovered_at", tz, now);
            text(errors, input, "measures", 2000, false);
        }
    }
    if !input.checked("consent") {
        errors.add("consent", k("report-consent-required"));
    }
    if !input.checked("false_report_ack") {
        errors.add("false_report_ack", k("report-ack-required"));
    }
    // The form as sent: the fields this form has (first value of each; rows
    // within the row limit), blank ones dropped, within a total budget.
    let mut payload = Map::new();
    let mut budget: usize = 200_000;
    for (key, value) in &input.pairs {
        let value = value.trim();
        if value.is_empty() || payload.contains_key(key) || !known_field(kind, key) {
            continue;
        }
        let value: String = value.chars().take(20000).collect();
        budget = budget.saturating_sub(value.len());
        if budget == 0 {
            errors.add("form", k("field-too-long"));
            break;
        }
        payload.insert(key.clone(), Value::String(value));
    }
    if let Some(p) = &phone {
        ids.push((IdKind::Phone, p.clone(), "victim", 0));
    }
    if !errors.is_empty() {
        return None;
    }
    Some(Valid {
        new: NewSubmission {
            tracking_code: random_code(CODE_LEN),
            kind,
            lang: lang.code().into(),
            received_at: now,
            anonymous,
            confidential: input.checked("confidential"),
            reporter_name: name,
            contact_phone: phone,
            contact_email: email,
            secret_hash: None,
            category_id,
            summary,
            narrative,
            occurred_at,
            total_loss,
            payload: Value::Object(payload),
            ip: None,
        },
        identifiers: ids,
    })
}

/// (id, active) of every category.
type CategoryStates = Vec<(i32, bool)>;

/// The reference data a report is checked against: categories and bank codes.
fn reference_data(conn: &mut PgConnection) -> Result<(CategoryStates, Vec<String>), AppError> {
    let cats = crate::models::category::states(conn)?;
    let bank_codes = crate::models::bank::active_codes(conn)?;
    Ok((cats, bank_codes))
}

/// Receives a report: keeps newly uploaded files staged under `draft` whatever
/// happens, then checks everything and, if all is well, stores the submission
/// with its files, identifiers, receipt mail and duty notifications in one
/// transaction.
#[allow(clippy::too_many_arguments)]
pub fn receive(
    conn: &mut PgConnection,
    cfg: &Config,
    guards: &Guards<'_>,
    kind: SubmissionKind,
    input: &FormInput,
    uploads: &[Result<Stored, (String, Refused)>],
    draft: &str,
    lang: Lang,
    meta: &RequestMeta,
) -> Result<Result<Receipt, Refusal>, AppError> {
    let now = guards.now;
    let mut errors = FormErrors::default();
    // Abuse guards first: a form that fails them keeps nothing it uploaded.
    if !input.get("website").is_empty() {
        errors.add("form", k("report-refused"));
    }
    match guards
        .signer
        .verify("form", input.get("form_ts"), now.timestamp())
        .and_then(|t| t.parse::<i64>().ok())
    {
        None => errors.add("form", k("report-form-expired")),
        Some(started) if now.timestamp() - started < guards.min_fill_seconds => {
            errors.add("form", k("report-too-fast"))
        }
        Some(_) => {}
    }
    if guards.challenge
        && !challenge_ok(
            guards.signer,
            input.get("challenge"),
            input.get("challenge_answer"),
            now,
        )
    {
        errors.add("challenge_answer", k("report-challenge-wrong"));
    }
    let abusive = !errors.is_empty();
    // Files next: what arrived is kept for the next attempt, within the limit.
    let remove: Vec<i64> = input
        .all("remove_file")
        .filter_map(|v| v.parse().ok())
        .collect();
    let removed = if remove.is_empty() {
        Vec::new()
    } else {
        submission::unstage(conn, draft, &remove)?
    };
    remove_files(cfg, &removed);
    let mut staged = submission::staged(conn, draft)?;
    let mut keep = Vec::new();
    for upload in uploads {
        match upload {
            Ok(stored) if !abusive && staged.len() + keep.len() < cfg.portal.max_files => {
                keep.push(stored)
            }
            Ok(stored) => {
                remove_files(cfg, std::slice::from_ref(&stored.storage_id));
                if !abusive {
                    errors.add("evidence", k(Refused::TooMany.key()));
                }
            }
            Err((_, refused)) => errors.add("evidence", k(refused.key())),
        }
    }
    if !keep.is_empty() {
        let rows: Vec<NewFile<'_>> = keep
            .iter()
            .map(|s| NewFile {
                storage_id: &s.storage_id,
                submission_id: None,
                draft_key: Some(draft),
                original_name: &s.original_name,
                size_bytes: s.size,
                sha256: &s.sha256,
                detected_type: s.detected_type,
                follow_up: false,
            })
            .collect();
        submission::insert_files(conn, &rows)?;
        staged = submission::staged(conn, draft)?;
    }
    // "Add another row" and "remove file" are not a send: only the files'
    // errors are shown for them.
    let steering = input.checked("add_tx") || input.checked("add_id") || !remove.is_empty();
    if steering && !abusive {
        let mut only_files = FormErrors::default();
        if let Some(key) = errors.get("evidence") {
            only_files.add("evidence", k(key));
        }
        return Ok(Err(Refusal {
            errors: only_files,
            staged,
        }));
    }
    let (categories, banks) = reference_data(conn)?;
    let valid = validate(
        kind,
        input,
        &categories,
        &banks,
        cfg.time_zone,
        lang,
        now,
        &mut errors,
    );
    let valid = match valid {
        Some(v) if errors.is_empty() => v,
        _ => return Ok(Err(Refusal { errors, staged })),
    };

    let Valid {
        mut new,
        identifiers,
    } = valid;
    let secret = new.anonymous.then(|| random_code(10));
    new.secret_hash = secret.as_deref().map(secret_hash);
    new.ip = Some(meta.ip.chars().take(60).collect());
    let receipt = conn.transaction(|conn| -> Result<Receipt, AppError> {
        let s = submission::insert(conn, &new)?;
        submission::attach_staged(conn, draft, s.id)?;
        let report = identifiers::Report {
            submission_id: Some(s.id),
            case_id: None,
            reported_at: s.received_at,
            reporter_key: identifiers::reporter_key(
                s.contact_phone.as_deref(),
                s.contact_email.as_deref(),
            ),
        };
        for (kind, value, role, amount) in &identifiers {
            identifiers::link(
                conn,
                &report,
                &identifiers::NewLink {
                    kind: *kind,
                    value,
                    role,
                    source: "reporter",
                    amount: *amount,
                    from_form: false,
                    added_by: None,
                },
            )?;
        }
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: None,
                action: "submission_create",
                target_type: Some("submission"),
                target_id: Some(s.id.to_string()),
                detail: json!({ "kind": s.kind.code(), "files": staged.len() }),
            },
        )?;
        notify::submission_received(conn, cfg, &s)?;
        Ok(Receipt {
            tracking_code: s.tracking_code.clone(),
            secret: secret.clone(),
            received_at: s.received_at,
            kind: s.kind,
            email: s.contact_email.clone(),
        })
    })?;
    Ok(Ok(receipt))
}

/// Files staged with a form that was never sent are removed after a day, and
/// so are files a broken-off request left without any row.
pub fn expire_staged(conn: &mut PgConnection, cfg: &Config) -> Result<usize, AppError> {
    let ids = submission::expire_staged(conn, Utc::now() - chrono::Duration::hours(24))?;
    remove_files(cfg, &ids);
    let mut failed = None;
    let orphans = crate::storage::sweep(
        &cfg.data_dir,
        std::time::Duration::from_secs(24 * 3600),
        &mut |candidates| match submission::existing_storage_ids(conn, candidates).and_then(
            |mut known| {
                // Officers' exhibits live in the same folder.
                known.extend(crate::models::exhibit::existing_storage_ids(
                    conn, candidates,
                )?);
                Ok(known)
            },
        ) {
            Ok(known) => known,
            Err(e) => {
                // Keep everything when the database cannot say.
                failed = Some(e);
                candidates.to_vec()
            }
        },
    );
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(ids.len() + orphans)
}

/// Deletes stored files that are not (or no longer) referenced by any row.
pub fn remove_files(cfg: &Config, storage_ids: &[String]) {
    for id in storage_ids {
        crate::storage::remove(&cfg.data_dir, cfg.s3.as_ref(), id);
    }
}

/// What a reporter who proved their code sees.
pub struct Tracked {
    pub submission: Submission,
    pub status: PublicStatus,
    pub messages: Vec<submission::Message>,
    pub files: Vec<SubmissionFile>,
}

/// Looks a report up by code and the phone or e-mail given (or the anonymous
/// secret). Any mismatch is `None`, whatever the reason.
pub fn track(
    conn: &mut PgConnection,
    code: &str,
    proof: &str,
) -> Result<Option<Tracked>, AppError> {
    let code = normalise_code(code);
    let proof = proof.trim();
    if code.len() != CODE_LEN || proof.is_empty() || proof.len() > 254 {
        return Ok(None);
    }
    let Some(s) = submission::find_by_code(conn, &code)? else {
        return Ok(None);
    };
    let by_phone = identifiers::phone(proof)
        .zip(s.contact_phone.as_deref())
        .is_some_and(|(a, b)| crate::domain::token::tokens_match(&a, b));
    let by_email = identifiers::email(proof)
        .map(|e| e.to_lowercase())
        .zip(s.contact_email.as_deref())
        .is_some_and(|(a, b)| crate::domain::token::tokens_match(&a, b));
    let by_secret = s.secret_hash.as_deref().is_some_and(|h| {
        let given = secret_hash(proof);
        given.len() == h.len() && bool::from(subtle::ConstantTimeEq::ct_eq(given.as_slice(), h))
    });
    if !(by_phone || by_email || by_secret) {
        return Ok(None);
    }
    tracked(conn, s).map(Some)
}

/// The tracking view of a submission (after the proof, or from a grant).
pub fn tracked(conn: &mut PgConnection, s: Submission) -> Result<Tracked, AppError> {
    let case_status = match s.case_id {
        Some(id) => Some(crate::models::case::find(conn, id)?.status),
        None => None,
    };
    let messages = submission::messages(conn, s.id)?;
    let files = submission::files(conn, s.id)?;
    Ok(Tracked {
        status: public_status(s.status, case_status),
        submission: s,
        messages,
        files,
    })
}

/// A grant to add information to submission `id` for 30 minutes.
pub fn grant(signer: &Signer, id: i64, now: DateTime<Utc>) -> String {
    signer.token("track", &id.to_string(), now.timestamp() + 1800)
}

pub fn granted(signer: &Signer, token: &str, now: DateTime<Utc>) -> Option<i64> {
    signer.verify("track", token, now.timestamp())?.parse().ok()
}

/// The reporter adds information (text and/or files) to their submission: kept
/// in its thread, shown in the case timeline, and mailed to the assignee.
pub fn add_information(
    conn: &mut PgConnection,
    cfg: &Config,
    submission_id: i64,
    body: &str,
    uploads: &[Result<Stored, (String, Refused)>],
    meta: &RequestMeta,
) -> Result<Result<Tracked, FormErrors>, AppError> {
    let mut errors = FormErrors::default();
    let body = body.trim();
    if body.chars().count() > 10000 {
        errors.add("body", k("field-too-long"));
    }
    let good: Vec<&Stored> = uploads.iter().filter_map(|u| u.as_ref().ok()).collect();
    for u in uploads {
        if let Err((_, r)) = u {
            errors.add("evidence", k(r.key()));
        }
    }
    if body.is_empty() && good.is_empty() && errors.is_empty() {
        errors.add("body", k("field-required"));
    }
    let existing = submission::files(conn, submission_id)?.len();
    if existing + good.len() > cfg.portal.max_files * 2 {
        errors.add("evidence", k(Refused::TooMany.key()));
    }
    if !errors.is_empty() {
        let ids: Vec<String> = good.iter().map(|s| s.storage_id.clone()).collect();
        remove_files(cfg, &ids);
        return Ok(Err(errors));
    }
    conn.transaction(|conn| -> Result<(), AppError> {
        let s = submission::lock(conn, submission_id)?;
        let rows: Vec<NewFile<'_>> = good
            .iter()
            .map(|f| NewFile {
                storage_id: &f.storage_id,
                submission_id: Some(s.id),
                draft_key: None,
                original_name: &f.original_name,
                size_bytes: f.size,
                sha256: &f.sha256,
                detected_type: f.detected_type,
                follow_up: true,
            })
            .collect();
        submission::insert_files(conn, &rows)?;
        let text = if body.is_empty() {
            format!("[{} tệp]", good.len())
        } else {
            body.to_owned()
        };
        submission::add_message(conn, s.id, MessageKind::Addition, None, &text)?;
        if s.status == SubmissionStatus::InfoRequested {
            submission::set_triage(
                conn,
                s.id,
                SubmissionStatus::New,
                None,
                None,
                None,
                Utc::now(),
            )?;
        }
        if let Some(case_id) = s.case_id {
            crate::services::cases::record_reporter_addition(conn, case_id, &text, good.len())?;
            // Files sent later join the case's evidence too.
            let c = crate::models::case::find(conn, case_id)?;
            crate::services::exhibits::from_submission(conn, None, s.id, &c)?;
            notify::reporter_added(conn, cfg, case_id)?;
        }
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: None,
                action: "submission_addition",
                target_type: Some("submission"),
                target_id: Some(s.id.to_string()),
                detail: json!({ "files": good.len(), "length": body.chars().count() }),
            },
        )?;
        Ok(())
    })?;
    let s = submission::find(conn, submission_id)?;
    tracked(conn, s).map(Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::{format_code, ALPHABET};

    #[test]
    fn codes_read_well_and_are_long_enough() {
        let c = random_code(CODE_LEN);
        assert_eq!(c.len(), 13);
        assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        // log2(31^13) > 60
        assert!((CODE_LEN as f64) * (ALPHABET.len() as f64).log2() >= 60.0);
        let f = format_code(&c);
        assert_eq!(f.len(), 15);
        assert_eq!(normalise_code(&f.to_lowercase()), c);
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(number_words(723, Lang::Vi), "bảy trăm hai mươi ba");
        assert_eq!(number_words(105, Lang::Vi), "một trăm linh năm");
        assert_eq!(number_words(215, Lang::Vi), "hai trăm mười lăm");
        assert_eq!(number_words(841, Lang::Vi), "tám trăm bốn mươi mốt");
        assert_eq!(
            number_words(723, Lang::En),
            "seven hundred and twenty-three"
        );
        assert_eq!(number_words(300, Lang::En), "three hundred");
        assert_eq!(number_words(911, Lang::En), "nine hundred and eleven");
    }

    #[test]
    fn repeatable_rows_grow_on_request_and_are_bounded() {
        let mut f = FormInput::default();
        assert_eq!(f.rows("tx", 2), 2);
        f.pairs.push(("tx-4-amount".into(), "1".into()));
        assert_eq!(f.rows("tx", 2), 5);
        f.pairs.push(("add_tx".into(), "1".into()));
        assert_eq!(f.rows("tx", 2), 6);
        // Row numbers past the limit are ignored (and cannot overflow).
        f.pairs.push(("tx-999-amount".into(), "1".into()));
        f.pairs
            .push(("tx-18446744073709551615-amount".into(), "1".into()));
        assert_eq!(f.rows("tx", 2), 6);
        f.pairs.push(("tx-19-amount".into(), "1".into()));
        assert_eq!(f.rows("tx", 2), MAX_ROWS);
    }
}
