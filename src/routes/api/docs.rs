//! The API's description: OpenAPI 3.1 generated from the handlers' own
//! annotations and types (`/api/openapi.json`), and a reference page read
//! from that same document (`/api/docs`), server-rendered, nothing loaded
//! from elsewhere.

use std::sync::LazyLock;

use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{cases, identifiers, submissions, PROBLEM_TYPES};
use crate::error::AppError;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cyberdesk API",
        version = "1",
        description = "JSON for the systems around the unit: cases, public reports, identifier \
                       look-ups for banks and the hot list. Every request carries \
                       `Authorization: Bearer <token>`; a token acts as its user, narrowed to \
                       its scopes. Errors are RFC 9457 `application/problem+json`."
    ),
    paths(
        cases::list,
        cases::show,
        cases::create,
        cases::note,
        cases::status,
        submissions::list,
        submissions::show,
        identifiers::lookup_one,
        identifiers::lookup_many,
        identifiers::hotlist,
    ),
    modifiers(&Bearer),
    tags(
        (name = "cases", description = "Cases the token's user may see and work"),
        (name = "submissions", description = "The intake queue of public reports"),
        (name = "identifiers", description = "Look-ups and the hot list: counts only"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("cdk_…")
                    .description(Some(
                        "A token from /profile/tokens (or `cyberdesk token create`), shown once.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document, built once.
pub static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null));

pub async fn openapi() -> Result<HttpResponse, AppError> {
    let text = serde_json::to_string_pretty(&*DOCUMENT).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "no-cache"))
        .body(text))
}

/// One operation as the page lists it.
struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    scopes: String,
    params: Vec<Param>,
    body: Option<String>,
    responses: Vec<(String, String, Option<String>)>,
}

struct Param {
    name: String,
    place: String,
    required: bool,
    description: String,
}

/// One schema with its properties.
struct Schema {
    name: String,
    description: String,
    props: Vec<Prop>,
    example: Option<String>,
}

struct Prop {
    name: String,
    kind: String,
    required: bool,
    description: String,
}

#[derive(Template)]
#[template(path = "api/docs.html")]
struct DocsPage {
    layout: LayoutCtx,
    title: String,
    description: String,
    operations: Vec<Operation>,
    schemas: Vec<Schema>,
    problems: Vec<(&'static str, u16)>,
}

impl DocsPage {
    fn problem_key(&self, slug: &str) -> String {
        format!("api-problem-{slug}")
    }

    /// A description as text and `code` runs (its backticks), so the page
    /// shows code as code without rendering any markup from the document.
    fn runs(&self, text: &str) -> Vec<(bool, String)> {
        text.split('`')
            .enumerate()
            .filter(|(_, s)| !s.is_empty())
            .map(|(i, s)| (i % 2 == 1, s.to_owned()))
            .collect()
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// The name of a `$ref` (`#/components/schemas/CasePage` → `CasePage`).
fn ref_name(v: &Value) -> Option<String> {
    v.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned)
}

/// A schema's type as a person reads it: `string`, `CaseSummary[]`, `integer | null`.
fn type_of(v: &Value) -> String {
    if let Some(name) = ref_name(v) {
        return name;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = v.get(key).and_then(Value::as_array) {
            return list.iter().map(type_of).collect::<Vec<_>>().join(" | ");
        }
    }
    let base = match v.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".into(),
    };
    match (base.as_str(), v.get("items")) {
        (b, Some(items)) if b.starts_with("array") => {
            format!("{}[]{}", type_of(items), &b["array".len()..])
        }
        _ => match v.get("format").and_then(Value::as_str) {
            Some(f) => format!("{base} ({f})"),
            None => base,
        },
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let scopes = op
                .get("security")
                .and_then(Value::as_array)
                .map(|reqs| {
                    reqs.iter()
                        .filter_map(|r| r.get("bearer").and_then(Value::as_array))
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| Param {
                            name: text(p, "name"),
                            place: text(p, "in"),
                            required: p.get("required").and_then(Value::as_bool) == Some(true),
                            description: text(p, "description"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = op
                .pointer("/requestBody/content/application~1json/schema")
                .map(type_of);
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .map(|rs| {
                    rs.iter()
                        .map(|(status, r)| {
                            let schema = r
                                .get("content")
                                .and_then(Value::as_object)
                                .and_then(|c| c.values().next())
                                .and_then(|c| c.get("schema"))
                                .map(type_of);
                            (status.clone(), text(r, "description"), schema)
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(Operation {
                anchor: format!(
                    "{method}-{}",
                    path.trim_start_matches('/')
                        .replace(['/', '{', '}'], "-")
                        .trim_end_matches('-')
                ),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                scopes,
                params,
                body,
                responses,
            });
        }
    }
    out
}

fn schemas(doc: &Value) -> Vec<Schema> {
    let Some(all) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    all.iter()
        .map(|(name, s)| {
            let required: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let props = s
                .get("properties")
                .and_then(Value::as_object)
                .map(|ps| {
                    ps.iter()
                        .map(|(pname, p)| Prop {
                            name: pname.clone(),
                            kind: type_of(p),
                            required: required.contains(&pname.as_str()),
                            description: text(p, "description"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Schema {
                name: name.clone(),
                description: text(s, "description"),
                props,
                example: s
                    .get("example")
                    .and_then(|e| serde_json::to_string_pretty(e).ok()),
            }
        })
        .collect()
}

pub async fn page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let doc = &*DOCUMENT;
    render(
        StatusCode::OK,
        &DocsPage {
            layout: ctx.layout(),
            title: doc
                .pointer("/info/title")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            description: doc
                .pointer("/info/description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            operations: operations(doc),
            schemas: schemas(doc),
            problems: PROBLEM_TYPES.to_vec(),
        },
    )
}
