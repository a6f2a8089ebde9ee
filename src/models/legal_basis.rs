//! `legal_bases`: the instruments the product cites, with their days in force.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::legal_bases;
use crate::domain::law;
pub use crate::domain::law::Topic;
use crate::i18n::Lang;

crate::sql_text!(Topic);

#[derive(Queryable, Selectable, Clone, Debug, PartialEq)]
#[diesel(table_name = legal_bases, check_for_backend(Pg))]
pub struct LegalBasis {
    pub id: i32,
    pub topic: Topic,
    pub instrument: String,
    pub article: String,
    pub title_vi: String,
    pub title_en: String,
    pub in_force_from: NaiveDate,
    pub in_force_to: Option<NaiveDate>,
    pub note: String,
    pub updated_at: DateTime<Utc>,
}

impl LegalBasis {
    pub fn title(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.title_vi,
            Lang::En => &self.title_en,
        }
    }

    /// As printed: title and articles.
    pub fn citation(&self, lang: Lang) -> String {
        law::citation(lang, self.title(lang), &self.article)
    }

    pub fn span(&self) -> (NaiveDate, Option<NaiveDate>) {
        (self.in_force_from, self.in_force_to)
    }

    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        law::in_force(self.in_force_from, self.in_force_to, day)
    }
}

/// What an administrator writes.
#[derive(Insertable, AsChangeset, Clone, Debug, PartialEq)]
#[diesel(table_name = legal_bases, treat_none_as_null = true)]
pub struct BasisFields {
    pub topic: Topic,
    pub instrument: String,
    pub article: String,
    pub title_vi: String,
    pub title_en: String,
    pub in_force_from: NaiveDate,
    pub in_force_to: Option<NaiveDate>,
    pub note: String,
}

/// Every basis, by topic and then oldest first.
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<LegalBasis>> {
    legal_bases::table
        .order((legal_bases::topic, legal_bases::in_force_from))
        .select(LegalBasis::as_select())
        .load(conn)
}

pub fn insert(conn: &mut PgConnection, f: &BasisFields) -> QueryResult<LegalBasis> {
    diesel::insert_into(legal_bases::table)
        .values(f)
        .returning(LegalBasis::as_returning())
        .get_result(conn)
}

pub fn update(conn: &mut PgConnection, id: i32, f: &BasisFields) -> QueryResult<LegalBasis> {
    diesel::update(legal_bases::table.find(id))
        .set((f, legal_bases::updated_at.eq(Utc::now())))
        .returning(LegalBasis::as_returning())
        .get_result(conn)
}

/// The basis of `topic` in force on `day`, from a loaded list.
pub fn on(bases: &[LegalBasis], topic: Topic, day: NaiveDate) -> Option<&LegalBasis> {
    bases
        .iter()
        .find(|b| b.topic == topic && b.in_force_on(day))
}

/// The id of the basis of `topic` in force on `day`, for a new case.
pub fn id_on(conn: &mut PgConnection, topic: Topic, day: NaiveDate) -> QueryResult<Option<i32>> {
    Ok(all(conn)?
        .iter()
        .find(|b| b.topic == topic && b.in_force_on(day))
        .map(|b| b.id))
}

/// One writer at a time (two saves could otherwise both pass the form's
/// overlap check and one meet the constraint).
pub fn lock(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("LOCK TABLE legal_bases IN SHARE ROW EXCLUSIVE MODE")
        .execute(conn)
        .map(|_| ())
}

/// After a change to `topic`'s bases: each case of that type cites the
/// basis in force on the day it was received (in its unit's time zone),
/// none where no basis was. Only the cases whose basis changes are written.
pub fn repoint_cases(conn: &mut PgConnection, topic: Topic) -> QueryResult<usize> {
    let Some(case_type) = crate::models::case::CaseType::ALL
        .iter()
        .find(|t| law::topic_of(**t) == Some(topic))
    else {
        return Ok(0);
    };
    diesel::sql_query(
        "WITH want AS ( \
           SELECT c.id, (SELECT b.id FROM legal_bases b \
                          WHERE b.topic = $1 AND daterange(b.in_force_from, b.in_force_to, '[)') \
                                @> (c.received_at AT TIME ZONE u.time_zone)::date) AS basis \
             FROM cases c JOIN units u ON u.id = c.unit_id WHERE c.case_type = $2) \
         UPDATE cases c SET legal_basis_id = want.basis FROM want \
          WHERE c.id = want.id AND c.legal_basis_id IS DISTINCT FROM want.basis",
    )
    .bind::<diesel::sql_types::Text, _>(topic.code())
    .bind::<diesel::sql_types::Text, _>(case_type.code())
    .execute(conn)
}
