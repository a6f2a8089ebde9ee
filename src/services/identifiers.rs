//! Identifiers (DESIGN.md §7): pure normalisers, so the same phone, account or
//! URL written differently becomes one value, and the hits query that finds
//! other submissions and cases sharing them.

use diesel::prelude::*;

use crate::db::schema::{identifier_links, identifiers};

pub use crate::ident::normalise::*;

/// Finds or creates the identifier and links it to a submission or a case.
pub fn link(
    conn: &mut PgConnection,
    kind: IdKind,
    value: &str,
    submission_id: Option<i64>,
    case_id: Option<i64>,
    role: &str,
    source: &str,
) -> QueryResult<i64> {
    diesel::insert_into(identifiers::table)
        .values((
            identifiers::kind.eq(kind.code()),
            identifiers::value.eq(value),
        ))
        .on_conflict((identifiers::kind, identifiers::value))
        .do_nothing()
        .execute(conn)?;
    let id: i64 = identifiers::table
        .filter(identifiers::kind.eq(kind.code()))
        .filter(identifiers::value.eq(value))
        .select(identifiers::id)
        .first(conn)?;
    // One link per identifier and case or submission, whoever entered it first.
    let mut existing = identifier_links::table
        .filter(identifier_links::identifier_id.eq(id))
        .into_boxed();
    existing = match (submission_id, case_id) {
        (Some(s), _) => existing.filter(identifier_links::submission_id.eq(s)),
        (None, Some(c)) => existing.filter(identifier_links::case_id.eq(c)),
        (None, None) => return Ok(id),
    };
    if diesel::select(diesel::dsl::exists(existing.select(identifier_links::id)))
        .get_result(conn)?
    {
        return Ok(id);
    }
    diesel::insert_into(identifier_links::table)
        .values((
            identifier_links::identifier_id.eq(id),
            identifier_links::submission_id.eq(submission_id),
            identifier_links::case_id.eq(case_id),
            identifier_links::role.eq(role),
            identifier_links::source.eq(source),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The bank code of what an officer or reporter wrote: a code, a short name or
/// an old name ("Vietcombank", "vcb", "LienVietPostBank").
pub fn resolve_bank(conn: &mut PgConnection, written: &str) -> QueryResult<Option<String>> {
    use crate::db::schema::banks;
    let w = written.trim();
    if w.is_empty() {
        return Ok(None);
    }
    let all: Vec<(String, String, Vec<String>)> = banks::table
        .select((banks::code, banks::short_name, banks::aliases))
        .load(conn)?;
    let same = |a: &str| a.eq_ignore_ascii_case(w);
    Ok(all
        .into_iter()
        .find(|(code, short, aliases)| same(code) || same(short) || aliases.iter().any(|a| same(a)))
        .map(|(code, _, _)| code))
}

/// Re-links the identifiers an officer's case form carries — receiving
/// accounts of its money rows (suspect) and the reporter's phone (victim) —
/// after each save; links from reporters (portal) are left alone.
pub fn sync_case(
    conn: &mut PgConnection,
    case_id: i64,
    txs: &[crate::models::case::Transaction],
    reporter_phone: Option<&str>,
) -> QueryResult<()> {
    diesel::delete(
        identifier_links::table
            .filter(identifier_links::case_id.eq(case_id))
            .filter(identifier_links::source.eq("officer")),
    )
    .execute(conn)?;
    for tx in txs {
        let Some(account) = tx.to_account.as_deref() else {
            continue;
        };
        let bank = match tx.to_bank.as_deref() {
            Some(b) => resolve_bank(conn, b)?,
            None => None,
        };
        if let Some(v) = bank_account(bank.as_deref().unwrap_or(""), account) {
            link(
                conn,
                IdKind::BankAccount,
                &v,
                None,
                Some(case_id),
                "suspect",
                "officer",
            )?;
        }
    }
    if let Some(p) = reporter_phone.and_then(phone) {
        link(
            conn,
            IdKind::Phone,
            &p,
            None,
            Some(case_id),
            "victim",
            "officer",
        )?;
    }
    Ok(())
}

/// One hit: an identifier this submission shares with another submission or case.
#[derive(Clone, Debug, Queryable)]
pub struct Hit {
    pub kind: String,
    pub value: String,
    pub other_submission: Option<i64>,
    pub other_case: Option<i64>,
}

/// Other submissions and cases sharing an identifier with `submission_id`.
pub fn hits_for_submission(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<Hit>> {
    let (mine, theirs) = diesel::alias!(identifier_links as mine, identifier_links as theirs);
    mine.inner_join(
        identifiers::table.on(identifiers::id.eq(mine.field(identifier_links::identifier_id))),
    )
    .inner_join(
        theirs.on(theirs
            .field(identifier_links::identifier_id)
            .eq(mine.field(identifier_links::identifier_id))),
    )
    .filter(
        mine.field(identifier_links::submission_id)
            .eq(submission_id),
    )
    .filter(
        theirs
            .field(identifier_links::submission_id)
            .ne(submission_id)
            .or(theirs.field(identifier_links::submission_id).is_null()),
    )
    .select((
        identifiers::kind,
        identifiers::value,
        theirs.field(identifier_links::submission_id),
        theirs.field(identifier_links::case_id),
    ))
    .distinct()
    .limit(200)
    .load(conn)
}
