//! The JSON shapes of `/api/v1`, as documented in the OpenAPI document: what
//! goes out is built from the services' own types here, so the services stay
//! free of serialisation.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::models::case::{list::CaseListItem, Case, Transaction};
use crate::services::cases::CaseView;

/// A case in a list.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "reference": "PA05-TP-2026-000123", "case_type": "crime_report", "category": "online_fraud",
    "title": "Lừa đảo đầu tư tiền ảo", "severity": "high", "tlp": "amber", "status": "assigned",
    "assignee": "Nguyễn Văn An", "team": "Đội 1", "received_at": "2026-11-30T02:15:00Z",
    "updated_at": "2026-11-30T03:00:00Z", "deadline_at": "2026-12-20T16:59:59Z",
    "deadline_kind": "decide", "total_loss": 150000000
}))]
pub struct CaseSummary {
    pub reference: String,
    pub case_type: String,
    /// Category code, if classified.
    pub category: Option<String>,
    pub title: String,
    pub severity: String,
    pub tlp: String,
    pub status: String,
    /// The assignee's name.
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The nearest open legal deadline.
    pub deadline_at: Option<DateTime<Utc>>,
    pub deadline_kind: Option<String>,
    /// Money reported lost, in đồng.
    pub total_loss: i64,
}

impl CaseSummary {
    pub fn of(
        r: &CaseListItem,
        categories: &[crate::models::category::Category],
        names: &HashMap<i64, String>,
    ) -> CaseSummary {
        CaseSummary {
            reference: r.ref_.clone(),
            case_type: r.case_type.code().into(),
            category: category_code(categories, r.category_id),
            title: r.title.clone(),
            severity: r.severity.code().into(),
            tlp: r.tlp.code().into(),
            status: r.status.code().into(),
            assignee: r.assignee_id.and_then(|id| names.get(&id).cloned()),
            team: r.team.clone(),
            received_at: r.received_at,
            updated_at: r.updated_at,
            deadline_at: r.deadline_at,
            deadline_kind: r.deadline_kind.clone(),
            total_loss: r.total_loss,
        }
    }
}

fn category_code(
    categories: &[crate::models::category::Category],
    id: Option<i32>,
) -> Option<String> {
    id.and_then(|id| categories.iter().find(|c| c.id == id))
        .map(|c| c.code.clone())
}

/// One page of cases.
#[derive(Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    /// Cases matching the filters (every page); see `total_is_lower_bound`.
    pub total: i64,
    /// The count stopped at its cap (a filtered list counts up to 500 per
    /// status): there are at least `total`.
    pub total_is_lower_bound: bool,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// An identifier of a case, with where else it was seen (counts only).
#[derive(Serialize, ToSchema)]
pub struct CaseIdentifier {
    pub kind: String,
    pub value: String,
    /// suspect, victim, ...
    pub role: String,
    pub amount: i64,
    /// Other cases the caller may open.
    pub other_cases: i64,
    /// Reports still in intake (for those who triage).
    pub other_submissions: i64,
    /// How many other units hold it.
    pub other_units: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CaseTransaction {
    pub occurred_at: Option<DateTime<Utc>>,
    pub amount: i64,
    pub method: String,
    pub from_bank: Option<String>,
    pub from_account: Option<String>,
    pub to_bank: Option<String>,
    pub to_account: Option<String>,
    pub to_holder: Option<String>,
    pub reference: Option<String>,
}

impl From<&Transaction> for CaseTransaction {
    fn from(t: &Transaction) -> Self {
        CaseTransaction {
            occurred_at: t.occurred_at,
            amount: t.amount,
            method: t.method.code().into(),
            from_bank: t.from_bank.clone(),
            from_account: t.from_account.clone(),
            to_bank: t.to_bank.clone(),
            to_account: t.to_account.clone(),
            to_holder: t.to_holder.clone(),
            reference: t.reference.clone(),
        }
    }
}

/// A legal clock of the case.
#[derive(Serialize, ToSchema)]
pub struct CaseClock {
    /// classify, decide, notify, ...
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub extensions: i32,
    pub met_at: Option<DateTime<Utc>>,
    /// on_time, due_soon, overdue or met.
    pub state: String,
}

/// A timeline entry.
#[derive(Serialize, ToSchema)]
pub struct CaseEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    /// Who did it (a name), if a person did.
    pub actor: Option<String>,
    /// The field changed, for field edits.
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// The text of a note.
    pub body: Option<String>,
}

/// The reporter's contact details: only with `reveal=reporter`, which is
/// audited like the case page's "show".
#[derive(Serialize, ToSchema)]
pub struct Reporter {
    pub kind: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub national_id: Option<String>,
    pub tax_code: Option<String>,
    pub is_victim: bool,
}

/// A case as its page shows it.
#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    pub reference: String,
    /// Send as `If-Match` with a change so it only applies to this version.
    pub version: i32,
    pub case_type: String,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub title: String,
    pub description: String,
    pub channel: String,
    pub severity: String,
    pub tlp: String,
    pub status: String,
    pub restricted: bool,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub unit_name: String,
    pub received_at: DateTime<Utc>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub total_loss: i64,
    pub outcome: Option<String>,
    pub resolution_summary: Option<String>,
    pub receiving_agency: Option<String>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub deadline_kind: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    /// The statuses the caller may move it to now (`POST …/status`).
    pub moves: Vec<String>,
    pub identifiers: Vec<CaseIdentifier>,
    pub transactions: Vec<CaseTransaction>,
    pub clocks: Vec<CaseClock>,
    /// Newest first.
    pub timeline: Vec<CaseEvent>,
    /// Present only when asked for with `reveal=reporter` (audited).
    pub reporter: Option<Reporter>,
}

impl CaseDetail {
    pub fn of(v: &CaseView, reveal: bool) -> CaseDetail {
        let c: &Case = &v.case;
        let code =
            |cat: &Option<crate::models::category::Category>| cat.as_ref().map(|c| c.code.clone());
        CaseDetail {
            reference: c.ref_.clone(),
            version: c.version,
            case_type: c.case_type.code().into(),
            category: code(&v.category),
            subcategory: code(&v.subcategory),
            title: c.title.clone(),
            description: c.description.clone(),
            channel: c.channel.code().into(),
            severity: c.severity.code().into(),
            tlp: c.tlp.code().into(),
            status: c.status.code().into(),
            restricted: c.restricted,
            assignee: v.assignee.clone(),
            team: c.team.clone(),
            unit_name: c.unit_name.clone(),
            received_at: c.received_at,
            occurred_at: c.occurred_at,
            detected_at: c.detected_at,
            total_loss: c.total_loss,
            outcome: c.outcome.map(|o| o.code().into()),
            resolution_summary: c.resolution_summary.clone(),
            receiving_agency: c.receiving_agency.clone(),
            deadline_at: c.deadline_at,
            deadline_kind: c.deadline_kind.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            created_by: v.created_by.clone(),
            moves: v.moves.iter().map(|m| m.to.code().into()).collect(),
            identifiers: v
                .identifiers
                .iter()
                .map(|i| CaseIdentifier {
                    kind: i.kind.code().into(),
                    value: i.value.clone(),
                    role: i.role.clone(),
                    amount: i.amount,
                    other_cases: i.other_cases,
                    other_submissions: i.other_submissions,
                    other_units: i.other_units.len() as i64,
                })
                .collect(),
            transactions: v.txs.iter().map(CaseTransaction::from).collect(),
            clocks: v
                .clocks
                .iter()
                .map(|cv| CaseClock {
                    kind: cv.clock.kind.code().into(),
                    due_at: cv.clock.due_at,
                    extensions: cv.clock.extensions,
                    met_at: cv.clock.met_at,
                    state: cv.state.code().into(),
                })
                .collect(),
            timeline: v
                .events
                .iter()
                .map(|(e, actor)| CaseEvent {
                    at: e.at,
                    kind: e.kind.code().into(),
                    actor: actor.clone(),
                    field: e.field.clone(),
                    old_value: e.old_value.clone(),
                    new_value: e.new_value.clone(),
                    body: e.body.clone(),
                })
                .collect(),
            reporter: reveal.then(|| Reporter {
                kind: c.reporter_kind.code().into(),
                name: c.reporter_name.clone(),
                phone: c.reporter_phone.clone(),
                email: c.reporter_email.clone(),
                address: c.reporter_address.clone(),
                national_id: c.reporter_national_id.clone(),
                tax_code: c.reporter_tax_code.clone(),
                is_victim: c.reporter_is_victim,
            }),
        }
    }
}

/// A new case: the fields of the case form (`/cases/new`), by the same names,
/// with the same rules and the same messages when refused. Values are text
/// as typed in the form; dates and times `YYYY-MM-DDTHH:MM` in the unit's
/// time zone; check boxes `true`/`false`.
#[derive(Deserialize, ToSchema, Default)]
#[schema(example = json!({
    "case_type": "crime_report", "title": "Lừa đảo chuyển tiền qua mạng xã hội",
    "description": "Người bị hại chuyển 50.000.000 đồng theo hướng dẫn của đối tượng giả danh công an.",
    "channel": "phone", "severity": "high", "tlp": "amber",
    "received_at": "2026-12-01T09:30", "reporter_kind": "person",
    "reporter_name": "Trần Thị Bình", "reporter_phone": "0912345678", "reporter_is_victim": true,
    "transactions": [{"time": "2026-11-30T20:15", "amount": "50000000", "method": "transfer",
                      "to_bank": "VCB", "to_account": "0011001234567", "to_holder": "NGUYEN VAN C"}]
}))]
#[serde(default)]
#[derive(Serialize)]
pub struct NewCase {
    /// Every field of the form other than money rows, by its form name.
    #[serde(flatten)]
    #[schema(value_type = HashMap<String, serde_json::Value>)]
    pub fields: HashMap<String, serde_json::Value>,
    /// Money rows (`tx-<n>-<field>` in the form).
    pub transactions: Vec<NewTransaction>,
}

/// One money row of a new case.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct NewTransaction {
    pub time: String,
    pub amount: String,
    pub method: String,
    pub from_bank: String,
    pub from_account: String,
    pub to_bank: String,
    pub to_account: String,
    pub to_holder: String,
    pub reference: String,
}

/// A note on a case.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"body": "Đã liên hệ ngân hàng đề nghị phong toả tài khoản."}))]
pub struct NewNote {
    pub body: String,
}

/// A workflow move (the case page's status buttons).
#[derive(Deserialize, ToSchema, Default)]
#[schema(example = json!({"to": "resolved", "outcome": "remediated", "summary": "Đã khắc phục lỗ hổng."}))]
#[serde(default)]
pub struct NewStatus {
    /// The status to move to; `moves` of the case lists what is allowed.
    pub to: String,
    /// For suspending, reopening and the like.
    pub reason: String,
    /// For a transfer to another agency.
    pub agency: String,
    /// For a decision: its outcome code.
    pub outcome: String,
    /// For a decision: what was decided.
    pub summary: String,
}

/// What changed: the case's reference and new version.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"reference": "PA05-TP-2026-000123", "version": 4, "status": "assigned"}))]
pub struct CaseChanged {
    pub reference: String,
    pub version: i32,
    pub status: String,
}

impl From<&Case> for CaseChanged {
    fn from(c: &Case) -> Self {
        CaseChanged {
            reference: c.ref_.clone(),
            version: c.version,
            status: c.status.code().into(),
        }
    }
}

/// Query of `GET /api/v1/cases`: the case list's own filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CaseQuery {
    /// open (default), all, or one status code.
    pub status: Option<String>,
    /// A case type code.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub case_type: Option<String>,
    /// A category's numeric id (as the case list links it), or none for uncategorised cases.
    pub category: Option<String>,
    /// low, medium, high or critical.
    pub severity: Option<String>,
    /// me, none, or a user id.
    pub assignee: Option<String>,
    /// A team's name, as on the case.
    pub team: Option<String>,
    /// How it came in (a channel code).
    pub channel: Option<String>,
    /// CLEAR, GREEN, AMBER, AMBER+STRICT or RED.
    pub tlp: Option<String>,
    /// Received from this day (YYYY-MM-DD, the unit's time zone).
    pub from: Option<String>,
    /// Received up to and including this day.
    pub to: Option<String>,
    /// overdue, due_soon, ...
    pub deadline: Option<String>,
    /// Decided from this day (the statistics' links).
    pub decided_from: Option<String>,
    /// Decided up to and including this day.
    pub decided_to: Option<String>,
    /// prosecuted, not_prosecuted, administrative_fine, remediated, ... (the statistics' links).
    pub result: Option<String>,
    /// Deadline compliance of decided crime reports: in_time, extended, late, or judged (any).
    pub compliance: Option<String>,
    /// Open at the end of this day.
    pub open_on: Option<String>,
    /// Classified from this day (the statistics' durations).
    pub classified_from: Option<String>,
    /// Classified up to and including this day.
    pub classified_to: Option<String>,
    /// Assigned from this day.
    pub assigned_from: Option<String>,
    /// Assigned up to and including this day.
    pub assigned_to: Option<String>,
    /// With money frozen, returned (or any): frozen, returned or any.
    pub recovered: Option<String>,
    /// Money recorded from this day (with `recovered`).
    pub recovered_from: Option<String>,
    /// Money recorded up to and including this day.
    pub recovered_to: Option<String>,
    /// Text search (accent-insensitive), as the list's search box.
    pub q: Option<String>,
    /// received (default), updated, deadline, ...
    pub sort: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// A submission from the public portal, as intake lists it.
#[derive(Serialize, ToSchema)]
pub struct SubmissionSummary {
    pub id: i64,
    /// The tracking code the reporter holds.
    pub code: String,
    pub kind: String,
    pub status: String,
    pub received_at: DateTime<Utc>,
    /// The case it became, if triaged.
    pub case_reference: Option<String>,
}

/// One page of the intake queue (oldest first).
#[derive(Serialize, ToSchema)]
pub struct SubmissionPage {
    pub items: Vec<SubmissionSummary>,
    /// Waiting in the queue (counting stops at 1,000: see `waiting_is_lower_bound`).
    pub waiting: i64,
    pub waiting_is_lower_bound: bool,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
}

/// A submission exactly as sent (viewing it is audited).
#[derive(Serialize, ToSchema)]
pub struct SubmissionDetail {
    #[serde(flatten)]
    pub summary: SubmissionSummary,
    /// The form as the reporter filled it in.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Identifiers it shares with other reports and cases.
    pub shared_identifiers: Vec<SharedIdentifier>,
}

#[derive(Serialize, ToSchema)]
pub struct SharedIdentifier {
    pub kind: String,
    pub value: String,
    pub submission: Option<i64>,
    pub case_reference: Option<String>,
}

/// One value to look up.
#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(default)]
#[schema(example = json!({"kind": "bank_account", "value": "0011001234567", "bank": "VCB"}))]
pub struct LookupAsk {
    /// phone, bank_account, ewallet, email, url, domain, ip, crypto_wallet, social, file_hash, other.
    pub kind: String,
    pub value: String,
    /// For an account its bank (code, short name or BIN); for a wallet its
    /// provider. Blank: the number at any bank or provider.
    pub bank: String,
}

/// Query of `GET /api/v1/identifiers/lookup`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LookupQuery {
    pub kind: String,
    pub value: String,
    pub bank: Option<String>,
}

/// Up to 1,000 values at once.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"values": [{"kind": "phone", "value": "0987 654 321"}, {"kind": "bank_account", "value": "0011001234567"}]}))]
pub struct LookupBatch {
    pub values: Vec<LookupAsk>,
}

/// Counts for one value: how often it was reported, never what the reports say.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "kind": "phone", "value": "+84987654321", "reports": 14, "cases": 9,
    "first_seen": "2026-03-02T01:00:00Z", "last_seen": "2026-11-29T12:30:00Z", "total_loss": 1200000000
}))]
pub struct LookupResult {
    pub kind: String,
    /// The value as stored (normalised); absent when it could not be read.
    pub value: Option<String>,
    pub reports: i64,
    pub cases: i64,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Reported loss in đồng.
    pub total_loss: i64,
    /// Why the value could not be read (batch only; a single look-up is 422).
    pub error: Option<FieldError>,
}

#[derive(Serialize, ToSchema)]
pub struct LookupResults {
    pub results: Vec<LookupResult>,
}

/// One identifier of the hot list.
#[derive(Serialize, ToSchema)]
pub struct HotRow {
    pub rank: i64,
    pub kind: String,
    pub value: String,
    pub reports: i64,
    pub total_loss: i64,
    pub last_seen: Option<DateTime<Utc>>,
    /// Units that reported it (1 on a unit's own list).
    pub units: i32,
}

#[derive(Serialize, ToSchema)]
pub struct HotList {
    pub days: i64,
    pub computed_at: Option<DateTime<Utc>>,
    pub items: Vec<HotRow>,
}

/// Query of `GET /api/v1/hotlist`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct HotQuery {
    /// 7, 30 (default) or 90.
    pub days: Option<i64>,
}

/// A refused field, as the form shows it.
#[derive(Serialize, ToSchema, Clone)]
pub struct FieldError {
    /// The form field's name (`tx-0-amount` for a money row).
    pub field: String,
    /// A stable code (the message's catalogue key).
    pub code: String,
    /// The message the form shows, in the caller's language.
    pub message: String,
}

/// An error (RFC 9457).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/api/docs#problem-validation", "title": "Dữ liệu chưa hợp lệ", "status": 422,
    "detail": "Kiểm tra các trường được đánh dấu.", "request_id": "a1b2c3d4e5f6",
    "errors": [{"field": "title", "code": "field-required", "message": "Trường này là bắt buộc."}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Quote it when asking about this error (also in the `X-Request-Id` header).
    pub request_id: String,
    /// The refused fields, for 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}
