//! `categories`: the bilingual two-level category tree (`docs/domain.md` §5).

use diesel::{pg::Pg, prelude::*};

use crate::db::schema::categories;
use crate::i18n::Lang;

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = categories, check_for_backend(Pg))]
pub struct Category {
    pub id: i32,
    pub code: String,
    pub parent_id: Option<i32>,
    pub name_vi: String,
    pub name_en: String,
    pub active: bool,
    pub sort: i32,
}

impl Category {
    pub fn name(&self, lang: &Lang) -> &str {
        match lang {
            Lang::Vi => &self.name_vi,
            Lang::En => &self.name_en,
        }
    }
}

/// All categories, parents before children, in display order.
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Category>> {
    let rows: Vec<Category> = categories::table
        .order((categories::sort.asc(), categories::id.asc()))
        .select(Category::as_select())
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for parent in rows.iter().filter(|c| c.parent_id.is_none()) {
        out.push(parent.clone());
        out.extend(
            rows.iter()
                .filter(|c| c.parent_id == Some(parent.id))
                .cloned(),
        );
    }
    Ok(out)
}

#[derive(AsChangeset, Insertable)]
#[diesel(table_name = categories)]
pub struct CategoryFields {
    pub code: String,
    pub parent_id: Option<i32>,
    pub name_vi: String,
    pub name_en: String,
    pub active: bool,
    pub sort: i32,
}

pub fn insert(conn: &mut PgConnection, fields: &CategoryFields) -> QueryResult<Category> {
    diesel::insert_into(categories::table)
        .values(fields)
        .returning(Category::as_returning())
        .get_result(conn)
}

pub fn update(conn: &mut PgConnection, id: i32, fields: &CategoryFields) -> QueryResult<Category> {
    diesel::update(categories::table.find(id))
        .set(fields)
        .returning(Category::as_returning())
        .get_result(conn)
}

/// (id, active) of every category, for validating a choice.
pub fn states(conn: &mut PgConnection) -> QueryResult<Vec<(i32, bool)>> {
    categories::table
        .select((categories::id, categories::active))
        .load(conn)
}

/// The (vi, en) names of category `id`.
pub fn names(conn: &mut PgConnection, id: i32) -> QueryResult<(String, String)> {
    categories::table
        .find(id)
        .select((categories::name_vi, categories::name_en))
        .first(conn)
}
