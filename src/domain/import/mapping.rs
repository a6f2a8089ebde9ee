//! The mapping file (TOML) for a register whose headers are not the
//! canonical ones: which column holds each field, values that hold for every
//! row, and value maps ("Đã xử lý" → status `resolved`, outcome `remediated`).
//!
//! ```toml
//! source = "STTTT Đà Nẵng 2024"   # optional: the default --source
//! header_row = 3                   # optional: where the header is (1-based)
//! [columns]
//! external_id = "Số TT"
//! received_at = "Ngày nhận"
//! reporter_name = "Người báo tin / Họ tên"
//! [constants]
//! case_type = "security_incident"
//! [values.status]
//! "Đã xử lý" = { status = "resolved", outcome = "remediated" }
//! "Đang xử lý" = "in_progress"
//! ```

use std::collections::BTreeMap;

use super::cells::Cell;
use super::{Field, Problem};
use crate::domain::text::fold_key;

#[derive(Clone, Debug, Default)]
pub struct Mapping {
    pub source: Option<String>,
    pub header_row: Option<usize>,
    /// Field → the header of its column in the file.
    pub columns: Vec<(Field, String)>,
    pub constants: Vec<(Field, String)>,
    /// Field → (folded value as written → the fields it sets).
    pub values: BTreeMap<Field, ValueMap>,
}

/// (a value as written, folded → the fields it sets).
pub type ValueMap = Vec<(String, Vec<(Field, String)>)>;

fn field(name: &str) -> Result<Field, Problem> {
    Field::from_code(name)
        .ok_or_else(|| Problem::new("import-map-unknown-field").arg("field", name))
}

fn string(v: &toml::Value, at: &str) -> Result<String, Problem> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        _ => Err(Problem::new("import-map-not-text").arg("field", at)),
    }
}

impl Mapping {
    /// Reads a mapping file; the first mistake is reported with where it is.
    pub fn parse(text: &str) -> Result<Mapping, Problem> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| Problem::new("import-map-syntax").arg("detail", e.message()))?;
        let mut m = Mapping::default();
        for (key, value) in &table {
            match key.as_str() {
                "source" => m.source = Some(string(value, "source")?.trim().to_owned()),
                "header_row" => {
                    m.header_row = Some(
                        value
                            .as_integer()
                            .filter(|n| (1..=1000).contains(n))
                            .ok_or_else(|| Problem::new("import-map-header-row"))?
                            as usize,
                    )
                }
                "columns" | "constants" => {
                    let t = value
                        .as_table()
                        .ok_or_else(|| Problem::new("import-map-not-table").arg("field", key))?;
                    for (name, v) in t {
                        let f = field(name)?;
                        let s = string(v, name)?;
                        if key == "columns" {
                            m.columns.push((f, s));
                        } else {
                            m.constants.push((f, s));
                        }
                    }
                }
                "values" => {
                    let t = value
                        .as_table()
                        .ok_or_else(|| Problem::new("import-map-not-table").arg("field", key))?;
                    for (name, map) in t {
                        let f = field(name)?;
                        let map = map.as_table().ok_or_else(|| {
                            Problem::new("import-map-not-table")
                                .arg("field", format!("values.{name}"))
                        })?;
                        let mut entries = Vec::new();
                        for (written, to) in map {
                            let sets = match to {
                                toml::Value::Table(sets) => sets
                                    .iter()
                                    .map(|(n, v)| Ok((field(n)?, string(v, n)?)))
                                    .collect::<Result<Vec<_>, Problem>>()?,
                                other => vec![(f, string(other, name)?)],
                            };
                            entries.push((fold_key(written), sets));
                        }
                        m.values.insert(f, entries);
                    }
                }
                other => {
                    return Err(Problem::new("import-map-unknown-key").arg("field", other));
                }
            }
        }
        Ok(m)
    }

    /// Which column holds each field: the mapping's, then canonical headers
    /// for the rest. A column the mapping names but the file lacks is an error.
    pub fn layout(&self, headers: &[String]) -> Result<Layout, Problem> {
        let mut by_field = BTreeMap::new();
        let position = |name: &str| {
            let key = fold_key(name);
            headers.iter().position(|h| fold_key(h) == key)
        };
        for (f, name) in &self.columns {
            let col = position(name).ok_or_else(|| {
                Problem::new("import-map-no-column")
                    .arg("field", f.code())
                    .arg("column", name.as_str())
            })?;
            by_field.insert(*f, col);
        }
        for (col, h) in headers.iter().enumerate() {
            if let Some(f) = Field::from_header(h) {
                if !by_field.contains_key(&f) && !by_field.values().any(|c| *c == col) {
                    by_field.insert(f, col);
                }
            }
        }
        let unused = headers
            .iter()
            .enumerate()
            .filter(|(c, h)| !h.trim().is_empty() && !by_field.values().any(|v| v == c))
            .map(|(_, h)| h.clone())
            .collect();
        Ok(Layout { by_field, unused })
    }

    /// The row's values by field: its columns, the constants where a cell is
    /// empty, then the value maps.
    pub fn apply(&self, layout: &Layout, cells: &[Cell]) -> BTreeMap<Field, Cell> {
        let mut out = BTreeMap::new();
        for (f, col) in &layout.by_field {
            if let Some(c) = cells.get(*col).filter(|c| !c.is_empty()) {
                out.insert(*f, c.clone());
            }
        }
        for (f, v) in &self.constants {
            out.entry(*f).or_insert_with(|| Cell::Text(v.clone()));
        }
        let mut sets = Vec::new();
        for (f, entries) in &self.values {
            if let Some(c) = out.get(f) {
                let key = fold_key(&c.text());
                if let Some((_, to)) = entries.iter().find(|(w, _)| *w == key) {
                    sets.extend(to.iter().cloned());
                }
            }
        }
        for (f, v) in sets {
            out.insert(f, Cell::Text(v));
        }
        out
    }
}

/// Where each field is in the file, and the headers nothing reads.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub by_field: BTreeMap<Field, usize>,
    pub unused: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_constants_and_value_maps() {
        let m = Mapping::parse(
            r#"
source = "STTTT"
[columns]
external_id = "Số TT"
[constants]
case_type = "security_incident"
[values.status]
"Đã xử lý" = { status = "resolved", outcome = "remediated" }
"Đang xử lý" = "in_progress"
"#,
        )
        .expect("mapping");
        let headers = vec![
            "SO TT".to_owned(),
            "Trạng thái".to_owned(),
            "Khác".to_owned(),
        ];
        let layout = m.layout(&headers).expect("layout");
        assert_eq!(layout.by_field.get(&Field::ExternalId), Some(&0));
        assert_eq!(layout.by_field.get(&Field::Status), Some(&1));
        assert_eq!(layout.unused, vec!["Khác".to_owned()]);
        let v = m.apply(
            &layout,
            &[Cell::Text("7".into()), Cell::Text("da xu ly".into())],
        );
        assert_eq!(v.get(&Field::Status), Some(&Cell::Text("resolved".into())));
        assert_eq!(
            v.get(&Field::Outcome),
            Some(&Cell::Text("remediated".into()))
        );
        assert_eq!(
            v.get(&Field::CaseType),
            Some(&Cell::Text("security_incident".into()))
        );
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            Mapping::parse("[columns]\nfoo = \"x\"")
                .map(|_| ())
                .unwrap_err()
                .key,
            "import-map-unknown-field"
        );
        assert_eq!(
            Mapping::parse("[columns\n").map(|_| ()).unwrap_err().key,
            "import-map-syntax"
        );
        let m = Mapping::parse("[columns]\ntitle = \"Trích yếu\"").expect("mapping");
        assert_eq!(
            m.layout(&["a".into()]).map(|_| ()).unwrap_err().key,
            "import-map-no-column"
        );
    }
}
