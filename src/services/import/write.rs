//! Writing a batch of rows as cases, in one transaction of about a dozen
//! statements whatever the batch's size: reference numbers reserved per
//! type and year, the cases, money rows, legal clocks computed from the
//! original dates, identifier links, timeline, audit and the import record.
//! No mail: these are history, not news.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::row::{Parsed, Row};
use crate::domain::ident::normalise::IdKind;
use crate::domain::unit::NameFrom;
use crate::domain::workflow;
use crate::error::AppError;
use crate::models::audit::{self, NewAudit};
use crate::models::case::bulk::{self, ImportedState};
use crate::models::case::{
    CaseFields, CaseType, NewCaseMeta, PayMethod, Severity, Status, Tlp, Transaction,
};
use crate::models::case_event::{self, EventKind, NewEvent};
use crate::models::deadline::{self, ClockKind, NewClock, Rule, StartsFrom};
use crate::models::identifier_link::{self, NewLink, Report};
use crate::models::import_run::{self, NewImported};
use crate::services::deadlines::due;

/// What every batch of a run shares.
pub struct Target {
    pub unit_id: i32,
    pub prefix: String,
    pub names: Vec<NameFrom>,
    pub unit_code: String,
    pub tz: Tz,
    pub rules: BTreeMap<&'static str, Vec<Rule>>,
    pub run_id: i64,
    pub source: String,
    pub by: i64,
    pub meta: crate::domain::RequestMeta,
}

impl Target {
    pub fn load(
        conn: &mut PgConnection,
        unit_id: i32,
        run_id: i64,
        source: &str,
        by: i64,
        meta: crate::domain::RequestMeta,
    ) -> Result<Target, AppError> {
        let unit = crate::models::unit::find(conn, unit_id)?;
        let tz = unit
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
        let mut rules = BTreeMap::new();
        for t in CaseType::ALL {
            rules.insert(t.code(), deadline::active_rules_for(conn, *t)?);
        }
        Ok(Target {
            unit_id,
            prefix: unit.ref_prefix,
            names: crate::models::unit::names(conn, unit_id)?,
            unit_code: unit.code,
            tz,
            rules,
            run_id,
            source: source.to_owned(),
            by,
            meta,
        })
    }

    fn name_on(&self, at: DateTime<Utc>) -> String {
        crate::domain::unit::name_on(&self.names, at.with_timezone(&self.tz).date_naive())
            .map_or_else(|| self.unit_code.clone(), |n| n.name_vi.clone())
    }
}

/// A clock to start: kind, start, due, met.
type PlannedClock = (
    ClockKind,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// The clocks a case keeps: started at its original dates, met where its
/// status says the step is done (at the closing date when the register has
/// one, else at the import: the register does not say when).
fn clocks(t: &Target, p: &Parsed, now: DateTime<Utc>) -> Vec<PlannedClock> {
    let decided_at = p.closed_at.unwrap_or(now);
    let met = |kind: ClockKind| -> Option<DateTime<Utc>> {
        match p.status {
            Status::New => None,
            Status::Closed => Some(decided_at),
            Status::Resolved | Status::Transferred | Status::Suspended => matches!(
                kind,
                ClockKind::Classify | ClockKind::Assign | ClockKind::Decide
            )
            .then_some(decided_at),
            Status::Triaged => (kind == ClockKind::Classify).then_some(now),
            _ => matches!(kind, ClockKind::Classify | ClockKind::Assign).then_some(now),
        }
    };
    let mut out = Vec::new();
    for rule in t.rules.get(p.case_type.code()).into_iter().flatten() {
        let start = match rule.starts_from {
            StartsFrom::Received | StartsFrom::Occurred => p.received_at,
            // Clocks from resolution run only for a case resolved and not closed.
            StartsFrom::Resolved if p.status == Status::Resolved => decided_at,
            StartsFrom::Resolved => continue,
        };
        let due_at = due(start, rule.amount, rule.unit, t.tz);
        let met_at = if rule.starts_from == StartsFrom::Resolved {
            None
        } else {
            met(rule.kind)
        };
        out.push((rule.kind, start, due_at, met_at));
    }
    out
}

/// Creates the cases of `rows` (all valid, none imported before); their
/// references, in order.
pub fn create(
    conn: &mut PgConnection,
    t: &Target,
    rows: &[(&Row, &Parsed)],
) -> Result<Vec<String>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    conn.transaction(|conn| {
        // Reference numbers: the year the case was received, as the old
        // register numbered it; numbers reserved per type and year at once.
        let mut wanted: BTreeMap<(&'static str, i32), i32> = BTreeMap::new();
        let years: Vec<i32> = rows
            .iter()
            .map(|(_, p)| p.received_at.with_timezone(&t.tz).year())
            .collect();
        for ((_, p), y) in rows.iter().zip(&years) {
            *wanted.entry((p.case_type.code(), *y)).or_default() += 1;
        }
        let mut next: BTreeMap<(&'static str, i32), i32> = BTreeMap::new();
        for ((code, year), n) in &wanted {
            let case_type: CaseType = code
                .parse()
                .map_err(|()| AppError::internal("import: case type"))?;
            next.insert(
                (code, *year),
                bulk::reserve_seqs(conn, t.unit_id, case_type, *year, *n)?,
            );
        }
        let mut refs = Vec::with_capacity(rows.len());
        let mut seqs = Vec::with_capacity(rows.len());
        for ((_, p), y) in rows.iter().zip(&years) {
            let seq = next
                .get_mut(&(p.case_type.code(), *y))
                .ok_or(AppError::internal("import: unexpected state"))?;
            refs.push(format!(
                "{}-{}-{y}-{:05}",
                t.prefix,
                p.case_type.ref_code(),
                *seq
            ));
            seqs.push(*seq);
            *seq += 1;
        }
        let names: Vec<String> = rows.iter().map(|(_, p)| t.name_on(p.received_at)).collect();
        // Each case cites the basis in force on the day the register says it
        // was received (`docs/domain.md` §18).
        let bases = crate::models::legal_basis::all(conn)?;
        let basis_ids: Vec<Option<i32>> = rows
            .iter()
            .map(|(_, p)| {
                let day = p.received_at.with_timezone(&t.tz).date_naive();
                crate::domain::law::topic_of(p.case_type)
                    .and_then(|topic| crate::models::legal_basis::on(&bases, topic, day))
                    .map(|b| b.id)
            })
            .collect();
        let txs: Vec<Vec<Transaction>> = rows.iter().map(|(_, p)| transactions(p)).collect();
        let fields: Vec<CaseFields> = rows.iter().map(|(_, p)| case_fields(p)).collect();
        let extras: Vec<String> = fields
            .iter()
            .zip(&txs)
            .map(|(f, tx)| crate::services::cases::search_extra(f, tx))
            .collect();
        let all_clocks: Vec<_> = rows.iter().map(|(_, p)| clocks(t, p, now)).collect();
        let mut values = Vec::with_capacity(rows.len());
        for (i, (_, p)) in rows.iter().enumerate() {
            let next_clock = all_clocks[i]
                .iter()
                .filter(|c| c.3.is_none())
                .min_by_key(|c| c.2);
            let decided = workflow::decision(Status::New, p.status) == workflow::Decision::Decides
                || p.status == Status::Closed;
            let decided_at = if decided { p.closed_at } else { None };
            let compliance = match (decided_at, p.case_type) {
                (Some(at), CaseType::CrimeReport) => all_clocks[i]
                    .iter()
                    .find(|c| c.0 == ClockKind::Decide)
                    .map(|c| workflow::compliance(at, c.2, c.2).to_owned()),
                _ => None,
            };
            values.push((
                NewCaseMeta {
                    ref_: &refs[i],
                    case_type: p.case_type,
                    ref_year: years[i],
                    ref_seq: seqs[i],
                    channel: p.channel,
                    unit_name: &names[i],
                    unit_id: t.unit_id,
                    created_by: t.by,
                    updated_by: t.by,
                    total_loss: p.amount,
                    search_extra: &extras[i],
                    legal_basis_id: basis_ids[i],
                },
                fields[i].clone(),
                ImportedState {
                    status: p.status,
                    assignee_id: p.assignee_id,
                    outcome: p.outcome,
                    decided_at,
                    decide_compliance: compliance,
                    deadline_at: next_clock.map(|c| c.2),
                    deadline_kind: next_clock.map(|c| c.0.code().to_owned()),
                },
            ));
        }
        let ids = bulk::insert_many(conn, &values)?;
        if ids.len() != rows.len() {
            return Err(AppError::internal("import: unexpected state"));
        }

        let money: Vec<(i64, Transaction)> = ids
            .iter()
            .zip(&txs)
            .flat_map(|(id, tx)| tx.iter().map(move |t| (*id, t.clone())))
            .collect();
        bulk::insert_transactions(conn, &money)?;

        let new_clocks: Vec<NewClock> = ids
            .iter()
            .zip(&all_clocks)
            .flat_map(|(id, cs)| {
                cs.iter()
                    .map(move |(kind, start, due_at, met_at)| NewClock {
                        case_id: *id,
                        kind: *kind,
                        starts_at: *start,
                        due_at: *due_at,
                        first_due_at: Some(*due_at),
                        met_at: *met_at,
                    })
            })
            .collect();
        deadline::insert_many(conn, &new_clocks)?;

        let mut links: Vec<(Report, NewLink<'_>)> = Vec::new();
        for (id, (_, p)) in ids.iter().zip(rows) {
            let report = Report {
                submission_id: None,
                case_id: Some(*id),
                unit_id: t.unit_id,
                reported_at: p.received_at,
                reporter_key: crate::services::identifiers::reporter_key(
                    p.reporter_phone.as_deref(),
                    p.reporter_email.as_deref(),
                ),
            };
            if let Some(a) = p.account_id.as_deref() {
                links.push((
                    report.clone(),
                    new_link(
                        t,
                        IdKind::BankAccount,
                        a,
                        "suspect",
                        "imported",
                        p.amount,
                        // "From the form" only with its money row, which a
                        // later edit of the case re-links it from.
                        p.amount > 0,
                    ),
                ));
            }
            if let Some(ph) = p.reporter_phone_id.as_deref() {
                links.push((
                    report.clone(),
                    new_link(t, IdKind::Phone, ph, "victim", "imported", 0, true),
                ));
            }
            for (kind, value) in &p.suspects {
                links.push((
                    report.clone(),
                    new_link(t, *kind, value, "suspect", "imported", 0, false),
                ));
            }
            for (kind, value) in &p.suggestions {
                links.push((
                    report.clone(),
                    new_link(t, *kind, value, "suspect", "extracted", 0, false),
                ));
            }
        }
        identifier_link::link_many(conn, &links)?;

        let mut events = Vec::new();
        let mut audits = Vec::new();
        let mut records = Vec::new();
        for ((id, (row, p)), reference) in ids.iter().zip(rows).zip(&refs) {
            let detail = json!({
                "source": t.source,
                "row": row.row_no,
                "external_id": row.external_id,
                "run": t.run_id,
            });
            events.push(NewEvent {
                case_id: *id,
                actor_id: Some(t.by),
                kind: Some(EventKind::Imported),
                data: Some(detail.clone()),
                ..Default::default()
            });
            if let Some(n) = &p.notes {
                events.push(NewEvent {
                    case_id: *id,
                    actor_id: Some(t.by),
                    kind: Some(EventKind::Note),
                    body: Some(n.clone()),
                    ..Default::default()
                });
            }
            audits.push(NewAudit {
                actor_id: Some(t.by),
                action: "case_import",
                target_type: Some("case"),
                target_id: Some(reference.clone()),
                detail,
            });
            records.push(NewImported {
                case_id: *id,
                unit_id: t.unit_id,
                source: &t.source,
                external_id: &row.external_id,
                run_id: t.run_id,
                row_no: i32::try_from(row.row_no).unwrap_or(i32::MAX),
                data: json!(row.data),
            });
        }
        case_event::insert(conn, &events)?;
        audit::append_many(conn, &t.meta, &audits)?;
        import_run::record(conn, &records)?;
        Ok(refs)
    })
}

fn new_link<'a>(
    t: &Target,
    kind: IdKind,
    value: &'a str,
    role: &'static str,
    source: &'static str,
    amount: i64,
    from_form: bool,
) -> NewLink<'a> {
    NewLink {
        kind,
        value,
        role,
        source,
        amount,
        from_form,
        added_by: Some(t.by),
    }
}

/// The money row a register's columns describe: the amount lost, sent to
/// the receiving account.
fn transactions(p: &Parsed) -> Vec<Transaction> {
    // A money row records money sent: an account given without an amount is
    // linked as an identifier only.
    if p.amount == 0 {
        return Vec::new();
    }
    vec![Transaction {
        position: 0,
        occurred_at: None,
        amount: p.amount,
        method: if p.to_account.is_some() {
            PayMethod::BankTransfer
        } else {
            PayMethod::Other
        },
        from_bank: None,
        from_account: None,
        to_bank: p.to_bank.clone(),
        to_account: p.to_account.clone(),
        to_holder: None,
        reference: None,
    }]
}

fn case_fields(p: &Parsed) -> CaseFields {
    CaseFields {
        category_id: p.category_id,
        subcategory_id: p.subcategory_id,
        title: p.title.clone(),
        description: p.description.clone(),
        severity: Severity::Medium,
        tlp: Tlp::Amber,
        confidential_reporter: false,
        team: None,
        received_at: p.received_at,
        occurred_at: None,
        detected_at: None,
        reporter_kind: p.reporter_kind,
        reporter_name: p.reporter_name.clone(),
        reporter_tax_code: None,
        reporter_phone: p.reporter_phone.clone(),
        reporter_email: p.reporter_email.clone(),
        reporter_address: p.reporter_address.clone(),
        reporter_national_id: None,
        reporter_is_victim: p.reporter_kind != crate::models::case::ReporterKind::Anonymous,
        victims: None,
        affected_system: None,
        system_security_level: None,
        operating_unit: None,
        owner_agency: None,
        detection_method: None,
        incident_state: None,
        ips_domains: None,
    }
}
