//! The JSON API (`/api/v1`): tokens and their scopes, the same visibility and
//! validation as the pages, `If-Match`, rate limits, audit, and an OpenAPI
//! document that names every route and whose examples and answers validate.

use actix_web::{http::StatusCode, test::TestRequest};
use serde_json::{json, Value};

use crate::cases::{create, me, report};
use crate::common::{app, client, signed_in, AppService, Client, Resp, TestDb, PASSWORD};
use crate::portal::{crime, send};
use cyberdesk::auth::RequestMeta;
use cyberdesk::services::api::{self as api_service, TokenForm};

/// A token for account `user` with `scopes`, made as the command line makes it.
pub(crate) fn token(db: &TestDb, user: i64, scopes: &[&str]) -> String {
    api_service::create(
        &mut db.conn(),
        None,
        &RequestMeta::default(),
        user,
        &TokenForm {
            name: "test".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            days: String::new(),
        },
    )
    .expect("token")
    .secret
}

/// One API request: `body` as JSON when given.
pub(crate) async fn call<S: AppService>(
    c: &mut Client<S>,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Resp {
    let mut req = TestRequest::default()
        .method(method.parse().expect("method"))
        .uri(path);
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    if let Some(b) = body {
        req = req.set_json(b);
    }
    c.send(req).await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

/// A problem document with this status and type slug.
fn assert_problem(r: &Resp, status: StatusCode, slug: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(
        r.header("content-type")
            .starts_with("application/problem+json"),
        "{}",
        r.header("content-type")
    );
    let p = json_of(r);
    assert_eq!(p["type"], format!("/api/docs#problem-{slug}"), "{p}");
    assert_eq!(p["status"], status.as_u16());
    assert!(!p["title"].as_str().unwrap_or("").is_empty());
    assert!(!p["detail"].as_str().unwrap_or("").is_empty());
    assert_eq!(p["request_id"].as_str(), Some(r.header("x-request-id")));
    p
}

#[actix_web::test]
async fn a_token_is_shown_once_stored_hashed_and_refused_once_revoked_or_expired() {
    let db = TestDb::new();
    let (mut officer, id) = signed_in(&db, "officer").await;
    let page = officer.get("/profile/tokens").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Chưa có mã nào"), "empty state");

    // Bad input: a clear message, 422, nothing written.
    for (fields, message) in [
        (
            vec![("name", "Ngân hàng"), ("days", "30")],
            "Hãy chọn ít nhất một phạm vi",
        ),
        (
            vec![
                ("name", "Ngân hàng"),
                ("days", "30"),
                ("scopes", "cases:delete"),
            ],
            "Có phạm vi không thuộc danh sách",
        ),
        (
            vec![
                ("name", "Ngân hàng"),
                ("days", "0"),
                ("scopes", "cases:read"),
            ],
            "Nhập số ngày từ 1 đến 730",
        ),
        (
            vec![
                ("name", "Ngân hàng"),
                ("days", "-5"),
                ("scopes", "cases:read"),
            ],
            "Nhập số ngày từ 1 đến 730",
        ),
        (
            vec![("name", "  "), ("days", "30"), ("scopes", "cases:read")],
            "Vui lòng nhập",
        ),
    ] {
        let res = officer.post("/profile/tokens", &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(res.body.contains(message), "{fields:?}: {message}");
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM api_tokens"), 0);

    let res = officer
        .post(
            "/profile/tokens",
            &[
                ("name", "Công cụ đối soát"),
                ("days", "30"),
                ("scopes", "cases:read"),
                ("scopes", "identifiers:lookup"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let secret = res
        .body
        .split("<code id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the token on the page")
        .to_owned();
    assert!(secret.starts_with("cdk_") && secret.len() == 44, "{secret}");
    // Stored as a hash only, and never shown again.
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM api_tokens WHERE token_hash = sha256('{secret}'::bytea) AND user_id = {id}"
        )),
        1
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM api_tokens WHERE position('{secret}' IN name || prefix || array_to_string(scopes, ',')) > 0"
        )),
        0
    );
    let again = officer.get("/profile/tokens").await;
    assert!(!again.body.contains(&secret), "shown once");
    assert!(
        again.body.contains(&secret[4..10]),
        "recognisable by its prefix"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'token_create'"),
        1
    );

    let st = crate::common::state(&db);
    let mut api = Client::new(app(st.clone()).await);
    let ok = call(&mut api, "GET", "/api/v1/cases", Some(&secret), None, &[]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.set_cookies().is_empty(), "no cookie from the API");

    // No token, a malformed one, an unknown one: 401 with a challenge.
    for t in [
        None,
        Some("nonsense"),
        Some("cdk_0123456789012345678901234567890123456789"),
    ] {
        let res = call(&mut api, "GET", "/api/v1/cases", t, None, &[]).await;
        assert_problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(res.header("www-authenticate").starts_with("Bearer"));
    }
    // A session cookie is no way in.
    let res = officer.get("/api/v1/cases").await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");

    // Expired. A change made outside this instance (here by hand) reaches
    // it as the trigger's notice, which the listener hands to `forget`; until
    // then the caller it remembers is used (at most `KNOWN_FOR`).
    db.exec("UPDATE api_tokens SET expires_at = now() - interval '1 minute'");
    let res = call(&mut api, "GET", "/api/v1/cases", Some(&secret), None, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "remembered until the notice");
    st.caches.forget("api_tokens");
    let res = call(&mut api, "GET", "/api/v1/cases", Some(&secret), None, &[]).await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    db.exec("UPDATE api_tokens SET expires_at = now() + interval '1 day'");
    st.caches.forget("api_tokens");

    // Revoked from the page: refused from then on.
    let tid = db.count("SELECT id AS n FROM api_tokens");
    let res = officer
        .post(&format!("/profile/tokens/{tid}/revoke"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = call(&mut api, "GET", "/api/v1/cases", Some(&secret), None, &[]).await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'token_revoke'"),
        1
    );

    // Someone else's token is not theirs to revoke.
    let other = db.user("other@pa05.test.vn", "officer", PASSWORD);
    let t2 = token(&db, other, &["cases:read"]);
    let t2id = db.count(&format!(
        "SELECT id AS n FROM api_tokens WHERE user_id = {other}"
    ));
    let res = officer
        .post(&format!("/profile/tokens/{t2id}/revoke"), &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // A deactivated account's tokens stop working.
    let res = call(&mut api, "GET", "/api/v1/cases", Some(&t2), None, &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    db.exec(&format!(
        "UPDATE users SET active = false WHERE id = {other}"
    ));
    st.caches.forget("users");
    let res = call(&mut api, "GET", "/api/v1/cases", Some(&t2), None, &[]).await;
    assert_problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");

    // An administrator's token could do nothing: refused with a reason.
    let (mut admin, _) = signed_in(&db, "admin").await;
    let res = admin
        .post(
            "/profile/tokens",
            &[("name", "x"), ("days", "30"), ("scopes", "cases:read")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("tài khoản dịch vụ"), "{}", res.body);
}

#[actix_web::test]
async fn each_endpoint_needs_its_scope_and_its_users_permission() {
    let db = TestDb::new();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let reference = create(&db, &me(&db, sup), &[]);
    let endpoints: Vec<(&str, String, Option<Value>, &str)> = vec![
        ("GET", "/api/v1/cases".into(), None, "cases:read"),
        (
            "GET",
            format!("/api/v1/cases/{reference}"),
            None,
            "cases:read",
        ),
        (
            "POST",
            "/api/v1/cases".into(),
            Some(json!({"title": ""})),
            "cases:write",
        ),
        (
            "POST",
            format!("/api/v1/cases/{reference}/notes"),
            Some(json!({"body": "Ghi chú"})),
            "cases:write",
        ),
        (
            "POST",
            format!("/api/v1/cases/{reference}/status"),
            Some(json!({"to": "triaged"})),
            "cases:write",
        ),
        (
            "GET",
            "/api/v1/submissions".into(),
            None,
            "submissions:read",
        ),
        (
            "GET",
            "/api/v1/submissions/999999".into(),
            None,
            "submissions:read",
        ),
        (
            "GET",
            "/api/v1/identifiers/lookup?kind=phone&value=0912345678".into(),
            None,
            "identifiers:lookup",
        ),
        (
            "POST",
            "/api/v1/identifiers/lookup".into(),
            Some(json!({"values": []})),
            "identifiers:lookup",
        ),
        (
            "GET",
            "/api/v1/hotlist?days=30".into(),
            None,
            "hotlist:read",
        ),
    ];
    let all = [
        "cases:read",
        "cases:write",
        "submissions:read",
        "identifiers:lookup",
        "hotlist:read",
    ];
    let mut api = client(&db).await;
    for (method, path, body, scope) in &endpoints {
        // Every scope but the one it needs: 403, naming the scope.
        let others: Vec<&str> = all.iter().copied().filter(|s| s != scope).collect();
        let t = token(&db, sup, &others);
        let res = call(&mut api, method, path, Some(&t), body.clone(), &[]).await;
        let p = assert_problem(&res, StatusCode::FORBIDDEN, "missing-scope");
        assert!(p["detail"].as_str().unwrap_or("").contains(scope), "{p}");
        // With it: anything but a refusal of the token.
        let t = token(&db, sup, &[scope]);
        let res = call(&mut api, method, path, Some(&t), body.clone(), &[]).await;
        assert!(
            res.status != StatusCode::FORBIDDEN && res.status != StatusCode::UNAUTHORIZED,
            "{method} {path} with {scope}: {} {}",
            res.status,
            res.body
        );
    }
    // Scopes narrow the user, never widen it: an officer not on duty has no
    // intake queue, an officer no hot list, even with the scopes.
    let off = db.user("off@pa05.test.vn", "officer", PASSWORD);
    let t = token(&db, off, &all);
    let res = call(&mut api, "GET", "/api/v1/submissions", Some(&t), None, &[]).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
    let res = call(&mut api, "GET", "/api/v1/hotlist", Some(&t), None, &[]).await;
    assert_problem(&res, StatusCode::FORBIDDEN, "forbidden");
    // CORS is off: a browser's preflight from another site gets no allowance.
    let res = call(
        &mut api,
        "OPTIONS",
        "/api/v1/cases",
        None,
        None,
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    assert!(
        res.header("access-control-allow-origin").is_empty(),
        "{:?}",
        res.headers
    );
    let res = call(
        &mut api,
        "GET",
        "/api/v1/cases",
        Some(&t),
        None,
        &[("origin", "https://evil.example")],
    )
    .await;
    assert!(res.header("access-control-allow-origin").is_empty());
    // Unknown addresses and methods are problems too.
    let res = call(&mut api, "GET", "/api/v1/nothing", Some(&t), None, &[]).await;
    assert_problem(&res, StatusCode::NOT_FOUND, "not-found");
    let res = call(&mut api, "DELETE", "/api/v1/cases", Some(&t), None, &[]).await;
    assert_problem(&res, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
}

#[actix_web::test]
async fn an_officers_token_sees_what_the_officer_sees() {
    let db = TestDb::new();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let off = crate::cases::user_with_team(&db, "off@pa05.test.vn", "officer", "Đội 9");
    let mine = create(&db, &me(&db, off), &[]);
    let restricted = create(&db, &me(&db, sup), &[("restricted", "on")]);
    let off_t = token(&db, off, &["cases:read"]);
    let sup_t = token(&db, sup, &["cases:read"]);
    let mut api = client(&db).await;

    let res = call(
        &mut api,
        "GET",
        "/api/v1/cases?status=all",
        Some(&off_t),
        None,
        &[],
    )
    .await;
    let page = json_of(&res);
    let refs: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["reference"].as_str())
        .collect();
    assert!(
        refs.contains(&mine.as_str()) && !refs.contains(&restricted.as_str()),
        "{refs:?}"
    );
    let res = call(
        &mut api,
        "GET",
        &format!("/api/v1/cases/{restricted}"),
        Some(&off_t),
        None,
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::NOT_FOUND, "not-found");
    let res = call(
        &mut api,
        "GET",
        &format!("/api/v1/cases/{restricted}"),
        Some(&sup_t),
        None,
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let res = call(
        &mut api,
        "GET",
        "/api/v1/cases?status=all",
        Some(&sup_t),
        None,
        &[],
    )
    .await;
    assert_eq!(json_of(&res)["total"], 2);

    // Filters are the list's; a misspelt or unknown one is refused, not ignored.
    let res = call(
        &mut api,
        "GET",
        "/api/v1/cases?sevrity=high",
        Some(&sup_t),
        None,
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");
    let res = call(
        &mut api,
        "GET",
        "/api/v1/cases?severity=extreme",
        Some(&sup_t),
        None,
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");
    let res = call(
        &mut api,
        "GET",
        "/api/v1/cases?status=all&severity=high",
        Some(&sup_t),
        None,
        &[],
    )
    .await;
    assert_eq!(json_of(&res)["total"], 2, "both are high");
    let res = call(
        &mut api,
        "GET",
        "/api/v1/cases?after=garbage",
        Some(&sup_t),
        None,
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");
}

#[actix_web::test]
async fn keyset_pages_cover_the_list_once() {
    let db = TestDb::new();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let who = me(&db, sup);
    for i in 0..55 {
        create(&db, &who, &[("title", &format!("Vụ thứ {i}"))]);
    }
    let t = token(&db, sup, &["cases:read"]);
    let mut api = client(&db).await;
    let first = json_of(&call(&mut api, "GET", "/api/v1/cases", Some(&t), None, &[]).await);
    assert_eq!(first["items"].as_array().map(Vec::len), Some(50));
    assert_eq!(first["total"], 55);
    let next = first["next"].as_str().expect("a next page");
    let second = json_of(
        &call(
            &mut api,
            "GET",
            &format!("/api/v1/cases?after={next}"),
            Some(&t),
            None,
            &[],
        )
        .await,
    );
    assert_eq!(second["items"].as_array().map(Vec::len), Some(5));
    assert!(second["next"].is_null());
    let mut seen: Vec<String> = first["items"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(second["items"].as_array().into_iter().flatten())
        .filter_map(|c| c["reference"].as_str().map(str::to_owned))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 55, "every case once");
}

/// The messages of a refused case form, as its error summary lists them.
fn page_messages(body: &str) -> Vec<String> {
    let summary = body.split("class=\"error-summary\"").nth(1).unwrap_or("");
    let summary = summary.split("</ul>").next().unwrap_or("");
    summary
        .split("<li><a href=\"#")
        .skip(1)
        .filter_map(|s| {
            let (field, rest) = s.split_once("\">")?;
            Some(format!("{field}: {}", rest.split('<').next()?))
        })
        .collect()
}

#[actix_web::test]
async fn a_case_posted_as_json_meets_the_forms_rules_and_messages() {
    let db = TestDb::new();
    let (mut officer, off) = signed_in(&db, "officer").await;
    let t = token(&db, off, &["cases:write", "cases:read"]);
    let mut api = client(&db).await;
    let bad: &[(&str, &str)] = &[
        ("title", ""),
        ("severity", "extreme"),
        ("received_at", "2026-13-45T99:00"),
        ("reporter_email", "not-an-email"),
        ("tx-0-amount", "nhiều tiền"),
    ];
    // The form first.
    officer.get("/cases/new").await;
    let fields = report(bad);
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let page = officer.post("/cases/new", &form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut from_page = page_messages(&page.body);
    from_page.sort();
    assert!(from_page.len() >= 4, "{from_page:?}");

    // The same as JSON: money rows as a list.
    let mut body = serde_json::Map::new();
    let mut txs: Vec<serde_json::Map<String, Value>> = Vec::new();
    for (k, v) in report(bad) {
        if let Some((n, field)) = k.strip_prefix("tx-").and_then(|r| r.split_once('-')) {
            let n: usize = n.parse().expect("row");
            while txs.len() <= n {
                txs.push(serde_json::Map::new());
            }
            txs[n].insert(field.to_owned(), Value::String(v));
        } else if v == "on" {
            body.insert(k, Value::Bool(true));
        } else {
            body.insert(k, Value::String(v));
        }
    }
    body.insert(
        "transactions".into(),
        Value::Array(txs.into_iter().map(Value::Object).collect()),
    );
    let before = db.count("SELECT count(*) AS n FROM cases");
    let res = call(
        &mut api,
        "POST",
        "/api/v1/cases",
        Some(&t),
        Some(Value::Object(body.clone())),
        &[],
    )
    .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let mut from_api: Vec<String> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["field"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    from_api.sort();
    assert_eq!(
        from_api, from_page,
        "the same fields with the same messages"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases"),
        before,
        "nothing written"
    );

    // In English when asked.
    let res = call(
        &mut api,
        "POST",
        "/api/v1/cases",
        Some(&t),
        Some(Value::Object(body)),
        &[("accept-language", "en")],
    )
    .await;
    assert!(res.body.contains("required"), "{}", res.body);

    // Not JSON, or the wrong type: 415 and 400.
    let mut req = TestRequest::post()
        .uri("/api/v1/cases")
        .insert_header(("authorization", format!("Bearer {t}")));
    req = req
        .insert_header(("content-type", "text/plain"))
        .set_payload("title=x");
    let res = api.send(req).await;
    assert_problem(
        &res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );
    let res = call(
        &mut api,
        "POST",
        "/api/v1/cases",
        Some(&t),
        Some(json!({"transactions": "none"})),
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "bad-request");

    // A valid one: 201, its address, the audit row names the token.
    let mut good = serde_json::Map::new();
    for (k, v) in report(&[]) {
        if !k.starts_with("tx-") {
            good.insert(k, Value::String(v));
        }
    }
    good.insert("transactions".into(), json!([{"amount": "1.500.000", "method": "bank_transfer", "to_bank": "VCB", "to_account": "0011004455667"}]));
    let res = call(
        &mut api,
        "POST",
        "/api/v1/cases",
        Some(&t),
        Some(Value::Object(good)),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let made = json_of(&res);
    let reference = made["reference"].as_str().expect("reference");
    assert_eq!(res.location(), format!("/api/v1/cases/{reference}"));
    let tid = db.count("SELECT id AS n FROM api_tokens");
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'case_create' AND target_id = '{reference}' AND api_token_id = {tid} AND actor_id = {off}"
        )),
        1
    );
    let shown = json_of(
        &call(
            &mut api,
            "GET",
            &format!("/api/v1/cases/{reference}"),
            Some(&t),
            None,
            &[],
        )
        .await,
    );
    assert_eq!(shown["total_loss"], 1_500_000);
    assert_eq!(shown["transactions"][0]["to_account"], "0011004455667");
}

#[actix_web::test]
async fn notes_and_moves_keep_to_the_workflow_and_the_version() {
    let db = TestDb::new();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let reference = create(&db, &me(&db, sup), &[]);
    let t = token(&db, sup, &["cases:read", "cases:write"]);
    let mut api = client(&db).await;
    let res = call(
        &mut api,
        "GET",
        &format!("/api/v1/cases/{reference}"),
        Some(&t),
        None,
        &[],
    )
    .await;
    let case = json_of(&res);
    let version = case["version"].as_i64().expect("version");
    assert_eq!(res.header("etag"), format!("\"{version}\""));
    assert!(case["reporter"].is_null(), "not without asking");

    // A stale version: 409, nothing written.
    let notes = || db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'note'");
    let stale = format!("\"{}\"", version - 1);
    let res = call(
        &mut api,
        "POST",
        &format!("/api/v1/cases/{reference}/notes"),
        Some(&t),
        Some(json!({"body": "Cũ"})),
        &[("if-match", &stale)],
    )
    .await;
    assert_problem(&res, StatusCode::CONFLICT, "conflict");
    assert_eq!(notes(), 0);
    let res = call(
        &mut api,
        "POST",
        &format!("/api/v1/cases/{reference}/notes"),
        Some(&t),
        Some(json!({"body": "x"})),
        &[("if-match", "soon")],
    )
    .await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "bad-request");
    // An empty note: the form's message.
    let res = call(
        &mut api,
        "POST",
        &format!("/api/v1/cases/{reference}/notes"),
        Some(&t),
        Some(json!({"body": "  "})),
        &[],
    )
    .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["errors"][0]["field"], "body");
    // The current version: written.
    let current = format!("\"{version}\"");
    let res = call(
        &mut api,
        "POST",
        &format!("/api/v1/cases/{reference}/notes"),
        Some(&t),
        Some(json!({"body": "Đã liên hệ ngân hàng."})),
        &[("if-match", &current)],
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let changed = json_of(&res);
    assert!(changed["version"].as_i64() > Some(version));
    assert_eq!(notes(), 1);

    // Moves: one the workflow does not allow is 422; an unknown status too.
    let before = case["status"].clone();
    for to in ["closed", "flying"] {
        let res = call(
            &mut api,
            "POST",
            &format!("/api/v1/cases/{reference}/status"),
            Some(&t),
            Some(json!({"to": to})),
            &[],
        )
        .await;
        assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");
    }
    let moves = case["moves"].as_array().expect("moves");
    let to = moves.first().and_then(Value::as_str).expect("a move");
    let res = call(
        &mut api,
        "POST",
        &format!("/api/v1/cases/{reference}/status"),
        Some(&t),
        Some(json!({"to": to, "reason": "Chuyển đội 2 xử lý"})),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{to}: {}", res.body);
    assert_ne!(json_of(&res)["status"], before);
    let tid = db.count("SELECT id AS n FROM api_tokens");
    assert!(
        db.count(&format!("SELECT count(*) AS n FROM audit_log WHERE api_token_id = {tid} AND action IN ('case_note', 'case_status')")) >= 2
    );

    // Revealing the reporter is explicit and audited.
    let views =
        || db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_reporter_view'");
    let res = call(
        &mut api,
        "GET",
        &format!("/api/v1/cases/{reference}?reveal=reporter"),
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_eq!(json_of(&res)["reporter"]["name"], "Nguyễn Văn An");
    assert_eq!(views(), 1);
    let res = call(
        &mut api,
        "GET",
        &format!("/api/v1/cases/{reference}?reveal=everything"),
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");
    assert_eq!(views(), 1);
}

#[actix_web::test]
async fn each_token_has_its_own_rate_limit_and_its_uses_are_counted() {
    let db = TestDb::new();
    let mut cfg = db.config();
    cfg.api_requests_per_minute = 3;
    let st = actix_web::web::Data::new(cyberdesk::AppState::new(cfg));
    let mut api = Client::new(app(st.clone()).await);
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let a = token(&db, sup, &["cases:read"]);
    let b = token(&db, sup, &["cases:read"]);
    for _ in 0..3 {
        let res = call(&mut api, "GET", "/api/v1/cases", Some(&a), None, &[]).await;
        assert_eq!(res.status, StatusCode::OK);
    }
    let res = call(&mut api, "GET", "/api/v1/cases", Some(&a), None, &[]).await;
    assert_problem(&res, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let wait: u64 = res
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let res = call(&mut api, "GET", "/api/v1/cases", Some(&b), None, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "another token is not held back");

    st.api.flush(&mut db.conn()).expect("flush");
    let a_id = db.count(&format!(
        "SELECT id AS n FROM api_tokens WHERE token_hash = sha256('{a}'::bytea)"
    ));
    assert_eq!(
        db.count(&format!(
            "SELECT uses AS n FROM api_tokens WHERE id = {a_id}"
        )),
        3
    );
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM api_tokens WHERE id = {a_id} AND last_used_at > now() - interval '1 minute'")), 1);
    // A second flush adds nothing more.
    st.api.flush(&mut db.conn()).expect("flush");
    assert_eq!(
        db.count(&format!(
            "SELECT uses AS n FROM api_tokens WHERE id = {a_id}"
        )),
        3
    );
}

#[test]
fn a_large_allowance_is_taken_a_few_at_a_time_and_never_exceeded_across_instances() {
    use cyberdesk::models::rate_limit::take_many;
    use cyberdesk::services::api::Gate;
    use std::time::Duration;
    let db = TestDb::new();
    let mut conn = db.conn();
    // The shared count: as many as asked while there is room, then the rest,
    // then a wait.
    let minute = Duration::from_secs(60);
    let takes: Vec<Result<u32, Duration>> = (0..4)
        .map(|_| take_many(&mut conn, "test", "k", minute, 12, 5).expect("take"))
        .collect();
    assert_eq!(takes[..3], [Ok(5), Ok(5), Ok(2)]);
    let wait = takes[3].expect_err("the allowance is used up");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(6),
        "{wait:?}"
    );

    // Two instances serving one token allowed 1,800 a minute (leases of 3):
    // together they serve the allowance and what refilled meanwhile (30 a
    // second), no more, and the shared row is touched once per lease, not
    // once per request.
    let (a, b) = (Gate::new(1800), Gate::new(1800));
    let started = std::time::Instant::now();
    let mut served = 0;
    let mut from_lease = 0;
    for i in 0..2000 {
        let gate = if i % 2 == 0 { &a } else { &b };
        if gate.admit_leased(7) {
            from_lease += 1;
            served += 1;
        } else if gate.admit(&mut conn, 7).expect("admit").is_ok() {
            served += 1;
        }
    }
    let refilled = (started.elapsed().as_secs_f64() * 30.0).ceil() as i32;
    assert!(
        (1800..=1800 + refilled).contains(&served),
        "the allowance and {refilled} refilled, no more: {served}"
    );
    assert!(
        from_lease >= 1100,
        "most requests need no database: {from_lease}"
    );
}

#[actix_web::test]
async fn a_bank_looks_up_accounts_and_gets_counts_only() {
    let db = TestDb::new();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let who = me(&db, sup);
    // Two victims paid the same account (0011004455667 at VCB).
    create(&db, &who, &[]);
    create(&db, &who, &[("tx-0-amount", "3.000.000")]);
    // A public report names it too, waiting in intake.
    let mut visitor = client(&db).await;
    send(&mut visitor, "crime", &crime(&[]), &[]).await;

    let t = token(&db, sup, &["identifiers:lookup"]);
    let mut api = client(&db).await;
    let res = call(
        &mut api,
        "GET",
        "/api/v1/identifiers/lookup?kind=bank_account&value=0011%200044%2055667&bank=Vietcombank",
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let r = json_of(&res);
    assert_eq!(r["value"], "VCB:0011004455667");
    assert_eq!(r["cases"], 2);
    assert_eq!(r["reports"], 3, "two cases and the pending report");
    assert_eq!(r["total_loss"], 1_500_000 + 3_000_000 + 15_000_000);
    assert!(r["first_seen"].is_string() && r["last_seen"].is_string());
    assert!(
        !res.body.contains("Nguyễn Văn An") && !res.body.contains("PA05-"),
        "no case contents: {}",
        res.body
    );
    // Without the bank: the number at any bank.
    let any = json_of(
        &call(
            &mut api,
            "GET",
            "/api/v1/identifiers/lookup?kind=bank_account&value=0011004455667",
            Some(&t),
            None,
            &[],
        )
        .await,
    );
    assert_eq!(any["reports"], 3);
    // Never reported: zeros.
    let none = json_of(
        &call(
            &mut api,
            "GET",
            "/api/v1/identifiers/lookup?kind=phone&value=0909000111",
            Some(&t),
            None,
            &[],
        )
        .await,
    );
    assert_eq!(
        (none["reports"].as_i64(), none["value"].as_str()),
        (Some(0), Some("+84909000111"))
    );

    // Bad input: the field and its message.
    for (q, field) in [
        ("kind=bank_account&value=12", "value"),
        ("kind=galaxy&value=1", "kind"),
        (
            "kind=bank_account&value=0011004455667&bank=NoSuchBank",
            "bank",
        ),
    ] {
        let res = call(
            &mut api,
            "GET",
            &format!("/api/v1/identifiers/lookup?{q}"),
            Some(&t),
            None,
            &[],
        )
        .await;
        let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["errors"][0]["field"], field, "{q}");
    }
    let res = call(
        &mut api,
        "GET",
        "/api/v1/identifiers/lookup?kind=phone&value=1&extra=1",
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");

    // A batch: answered in order; an unreadable value has its error.
    let res = call(
        &mut api,
        "POST",
        "/api/v1/identifiers/lookup",
        Some(&t),
        Some(json!({"values": [
            {"kind": "phone", "value": "0909000111"},
            {"kind": "bank_account", "value": "0011004455667", "bank": "VCB"},
            {"kind": "email", "value": "not an email"},
        ]})),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let b = json_of(&res);
    assert_eq!(b["results"][0]["reports"], 0);
    assert_eq!(b["results"][1]["reports"], 3);
    assert_eq!(b["results"][2]["error"]["code"], "identifier-value-invalid");
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"kind": "phone", "value": format!("09{i:08}")}))
        .collect();
    let res = call(
        &mut api,
        "POST",
        "/api/v1/identifiers/lookup",
        Some(&t),
        Some(json!({"values": many})),
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");

    // Another unit counts its own; a national analyst counts every unit.
    crate::units::add_unit(&db, "DNG", "DNG", "Phòng An ninh mạng - Công an TP Đà Nẵng").await;
    let dng = db.user_in("dng@pa05.test.vn", "supervisor", PASSWORD, "DNG");
    let t_dng = token(&db, dng, &["identifiers:lookup"]);
    let r = json_of(
        &call(
            &mut api,
            "GET",
            "/api/v1/identifiers/lookup?kind=bank_account&value=0011004455667&bank=VCB",
            Some(&t_dng),
            None,
            &[],
        )
        .await,
    );
    assert_eq!(r["reports"], 0, "nothing of PA05's");
    let nat = db.user("nat@pa05.test.vn", "national_analyst", PASSWORD);
    let t_nat = token(&db, nat, &["identifiers:lookup", "hotlist:read"]);
    let r = json_of(
        &call(
            &mut api,
            "GET",
            "/api/v1/identifiers/lookup?kind=bank_account&value=0011004455667&bank=VCB",
            Some(&t_nat),
            None,
            &[],
        )
        .await,
    );
    assert_eq!(r["reports"], 3);

    // The hot list, as its CSV: audited.
    let t_hot = token(&db, sup, &["hotlist:read"]);
    let res = call(
        &mut api,
        "GET",
        "/api/v1/hotlist?days=30",
        Some(&t_hot),
        None,
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let hot = json_of(&res);
    assert_eq!(hot["items"][0]["value"], "VCB:0011004455667");
    assert_eq!(hot["items"][0]["rank"], 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'hot_list_export' AND api_token_id IS NOT NULL"), 1);
    let res = call(
        &mut api,
        "GET",
        "/api/v1/hotlist?days=5",
        Some(&t_hot),
        None,
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");
}

#[actix_web::test]
async fn the_intake_queue_for_those_on_duty_with_each_view_audited() {
    let db = TestDb::new();
    let mut visitor = client(&db).await;
    send(&mut visitor, "crime", &crime(&[]), &[]).await;
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let t = token(&db, sup, &["submissions:read"]);
    let mut api = client(&db).await;
    let res = call(&mut api, "GET", "/api/v1/submissions", Some(&t), None, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let q = json_of(&res);
    assert_eq!(q["waiting"], 1);
    let id = q["items"][0]["id"].as_i64().expect("id");
    let res = call(
        &mut api,
        "GET",
        &format!("/api/v1/submissions/{id}"),
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let s = json_of(&res);
    assert_eq!(s["payload"]["reporter_name"], "Trần Thị Bích");
    assert!(s["code"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_view' AND api_token_id IS NOT NULL"), 1);
    for path in ["/api/v1/submissions/abc", "/api/v1/submissions/999999"] {
        let res = call(&mut api, "GET", path, Some(&t), None, &[]).await;
        assert_problem(&res, StatusCode::NOT_FOUND, "not-found");
    }
    let res = call(
        &mut api,
        "GET",
        "/api/v1/submissions?after=yesterday",
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "refused");
    // An officer on duty reads it too.
    let off = db.user("duty@pa05.test.vn", "officer", PASSWORD);
    db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {off}"));
    let t = token(&db, off, &["submissions:read"]);
    let res = call(&mut api, "GET", "/api/v1/submissions", Some(&t), None, &[]).await;
    assert_eq!(res.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_service_account_has_tokens_and_nothing_else() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    admin.get("/admin/users/new").await;
    let res = admin
        .post(
            "/admin/users/new",
            &[
                ("full_name", "Hệ thống đối soát VCB"),
                ("email", "api@vcb.test.vn"),
                ("role", "officer"),
                ("lang", "vi"),
                ("unit", "PA05"),
                ("service", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id = db.count("SELECT id AS n FROM users WHERE email = 'api@vcb.test.vn'");
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM users WHERE id = {id} AND service AND NOT must_change_password")), 1);
    // An administrator service account is refused.
    let res = admin
        .post(
            "/admin/users/new",
            &[
                ("full_name", "X"),
                ("email", "x@vcb.test.vn"),
                ("role", "admin"),
                ("lang", "vi"),
                ("unit", "PA05"),
                ("service", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // It cannot sign in with any password, nor have one reset.
    let mut c = client(&db).await;
    let res = c.login("api@vcb.test.vn", "!service").await;
    assert_ne!(res.status, StatusCode::SEE_OTHER);
    let res = admin
        .post(&format!("/admin/users/{id}/reset-password"), &[])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Its page makes tokens; the token works as it.
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(page.body.contains(&format!("/admin/users/{id}/tokens")));
    let res = admin
        .post(
            &format!("/admin/users/{id}/tokens"),
            &[
                ("name", "Đối soát trước chuyển tiền"),
                ("days", "365"),
                ("scopes", "identifiers:lookup"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let secret = res
        .body
        .split("<code id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("token")
        .to_owned();
    let mut api = client(&db).await;
    let res = call(
        &mut api,
        "GET",
        "/api/v1/identifiers/lookup?kind=phone&value=0912345678",
        Some(&secret),
        None,
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // A person's tokens are their own to make: the admin cannot make one for them.
    let person = db.user("person@pa05.test.vn", "officer", PASSWORD);
    let res = admin
        .post(
            &format!("/admin/users/{person}/tokens"),
            &[("name", "x"), ("days", "3"), ("scopes", "cases:read")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Never offered as an assignee.
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let reference = create(&db, &me(&db, sup), &[]);
    let mut s = client(&db).await;
    s.login("sup@pa05.test.vn", PASSWORD).await;
    let page = s.get(&format!("/cases/{reference}")).await;
    assert!(
        !page.body.contains("Hệ thống đối soát VCB"),
        "not in the assignee list"
    );
}

/// The routes registered under `/api/v1`, read from the code that registers them.
fn registered_routes() -> Vec<(String, String)> {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/routes/api/mod.rs"
    ))
    .expect("source");
    let squashed: String = src.split_whitespace().collect::<Vec<_>>().join("");
    squashed
        .split(".route(\"")
        .skip(1)
        .filter_map(|s| {
            let (path, rest) = s.split_once("\",web::")?;
            let method = rest.split("()").next()?;
            Some((
                method.to_uppercase(),
                format!("/api/v1{path}").replace("{ref}", "{reference}"),
            ))
        })
        .collect()
}

/// A validator for the schema at `pointer` of the OpenAPI document (its
/// `$ref`s resolve within the document).
fn validator(doc: &Value, pointer: &str) -> jsonschema::Validator {
    let mut root = doc.clone();
    root["$ref"] = Value::String(format!("#{pointer}"));
    jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("schema at {pointer}: {e}"))
}

fn assert_valid(doc: &Value, pointer: &str, instance: &Value) {
    let v = validator(doc, pointer);
    let errors: Vec<String> = v.iter_errors(instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{pointer}: {errors:?}\n{instance}");
}

fn response_pointer(path: &str, method: &str, status: u16, content: &str) -> String {
    format!(
        "/paths/{}/{method}/responses/{status}/content/{}/schema",
        path.replace('~', "~0")
            .replace('/', "~1")
            .replace('{', "%7B")
            .replace('}', "%7D"),
        content.replace('/', "~1")
    )
}

#[actix_web::test]
async fn the_openapi_document_names_every_route_and_its_examples_and_answers_validate() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let res = c.get("/api/openapi.json").await;
    assert_eq!(res.status, StatusCode::OK);
    let doc = json_of(&res);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );

    // Every route registered is documented, and every documented one routed.
    let mut registered = registered_routes();
    registered.sort();
    assert_eq!(registered.len(), 10, "{registered:?}");
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(m, _)| (m.to_uppercase(), p.clone()))
        })
        .collect();
    documented.sort();
    assert_eq!(documented, registered);
    for (method, path) in &documented {
        let concrete = path
            .replace("{reference}", "PA05-TP-2026-000001")
            .replace("{id}", "1");
        let res = call(&mut c, method, &concrete, None, None, &[]).await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} is routed"
        );
        // Each operation says which scope it needs and how it fails.
        let op = &doc["paths"][path][method.to_lowercase()];
        assert!(
            op["security"][0]["bearer"][0].is_string(),
            "{method} {path}"
        );
        assert!(op["responses"]["401"].is_object(), "{method} {path}");
    }

    // Every example validates against its own schema.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut checked = 0;
    for (name, schema) in schemas {
        let examples: Vec<&Value> = schema
            .get("example")
            .into_iter()
            .chain(
                schema
                    .get("examples")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            )
            .collect();
        for e in examples {
            assert_valid(&doc, &format!("/components/schemas/{name}"), e);
            checked += 1;
        }
    }
    assert!(checked >= 8, "examples checked: {checked}");

    // And so do real answers.
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let reference = create(&db, &me(&db, sup), &[]);
    let t = token(
        &db,
        sup,
        &[
            "cases:read",
            "cases:write",
            "identifiers:lookup",
            "hotlist:read",
            "submissions:read",
        ],
    );
    for (method, path, concrete, body, status) in [
        (
            "get",
            "/api/v1/cases",
            "/api/v1/cases".to_owned(),
            None,
            200,
        ),
        (
            "get",
            "/api/v1/cases/{reference}",
            format!("/api/v1/cases/{reference}?reveal=reporter"),
            None,
            200,
        ),
        (
            "post",
            "/api/v1/cases/{reference}/notes",
            format!("/api/v1/cases/{reference}/notes"),
            Some(json!({"body": "Ghi chú"})),
            201,
        ),
        (
            "get",
            "/api/v1/identifiers/lookup",
            "/api/v1/identifiers/lookup?kind=bank_account&value=0011004455667&bank=VCB".to_owned(),
            None,
            200,
        ),
        (
            "post",
            "/api/v1/identifiers/lookup",
            "/api/v1/identifiers/lookup".to_owned(),
            Some(json!({"values": [{"kind": "phone", "value": "x"}]})),
            200,
        ),
        (
            "get",
            "/api/v1/hotlist",
            "/api/v1/hotlist".to_owned(),
            None,
            200,
        ),
        (
            "get",
            "/api/v1/submissions",
            "/api/v1/submissions".to_owned(),
            None,
            200,
        ),
        (
            "post",
            "/api/v1/cases",
            "/api/v1/cases".to_owned(),
            Some(json!({"title": ""})),
            422,
        ),
    ] {
        let res = call(
            &mut c,
            &method.to_uppercase(),
            &concrete,
            Some(&t),
            body,
            &[],
        )
        .await;
        assert_eq!(res.status.as_u16(), status, "{concrete}: {}", res.body);
        let content = if status >= 400 {
            "application/problem+json"
        } else {
            "application/json"
        };
        assert_valid(
            &doc,
            &response_pointer(path, method, status, content),
            &json_of(&res),
        );
    }

    // The reference page: every operation, nothing from another host.
    let page = c.get("/api/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    for (method, path) in &documented {
        assert!(
            page.body.contains(&format!("{method} {path}")),
            "{method} {path}"
        );
    }
    assert!(page.body.contains("id=\"problem-validation\""));
    assert!(
        !page.body.contains("http://")
            && !page.body.contains("https://")
            && !page.body.contains("<script")
    );
}

/// The look-up of the form's receiving account over `scope`, kept and afresh:
/// they must agree; gives the reports counted.
fn account_reports(db: &TestDb, scope: i32) -> i64 {
    use cyberdesk::models::identifier_link::{lookup, lookup_fresh, LookupAsk};
    let asks = [LookupAsk {
        ord: 0,
        kind: "bank_account",
        value: "VCB:0011004455667",
        bare: "",
    }];
    let mut conn = db.conn();
    let fresh = lookup_fresh(&mut conn, &asks, scope).expect("fresh");
    let kept = lookup(&mut conn, &asks, scope).expect("kept");
    let row = |r: &[cyberdesk::models::identifier_link::LookupRow]| {
        r.first()
            .map(|r| (r.reports, r.cases, r.first_seen, r.last_seen, r.loss))
    };
    assert_eq!(row(&kept), row(&fresh), "kept counts equal a fresh count");
    row(&kept).map(|r| r.0).unwrap_or(0)
}

#[actix_web::test]
async fn a_heavy_accounts_kept_counts_follow_every_change_to_its_reports() {
    use cyberdesk::models::identifier_link::KEEP_FROM;
    let db = TestDb::new();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let who = me(&db, sup);
    let n = KEEP_FROM + 2;
    let refs: Vec<String> = (0..n).map(|_| create(&db, &who, &[])).collect();
    let kept = || db.count("SELECT count(*) AS n FROM identifier_lookups");
    assert_eq!(account_reports(&db, 1), n);
    assert_eq!(kept(), 1, "a heavy account's counts are kept");
    // A light one's are not: counting them costs less than keeping them.
    create(&db, &who, &[("tx-0-to_account", "0011009999999")]);
    let mut api = client(&db).await;
    let t = token(&db, sup, &["identifiers:lookup"]);
    let light = json_of(
        &call(
            &mut api,
            "GET",
            "/api/v1/identifiers/lookup?kind=bank_account&value=0011009999999&bank=VCB",
            Some(&t),
            None,
            &[],
        )
        .await,
    );
    assert_eq!((light["reports"].as_i64(), kept()), (Some(1), 1));

    // The kept row is what a look-up reads while nothing changed...
    db.exec("UPDATE identifier_lookups SET reports = 999");
    let res = call(
        &mut api,
        "GET",
        "/api/v1/identifiers/lookup?kind=bank_account&value=0011004455667&bank=VCB",
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_eq!(json_of(&res)["reports"], 999, "read from the kept row");
    // ...and any change to the account's reports makes it count afresh.
    let more = create(&db, &who, &[]);
    assert_eq!(account_reports(&db, 1), n + 1, "a new case");
    cases_merge(&db, &who, &more, &refs[0]);
    assert_eq!(account_reports(&db, 1), n, "a merged duplicate counts once");
    let mut visitor = client(&db).await;
    send(&mut visitor, "crime", &crime(&[]), &[]).await;
    assert_eq!(account_reports(&db, 1), n + 1, "a public report waiting");
    db.exec("UPDATE submissions SET status = 'spam'");
    assert_eq!(account_reports(&db, 1), n, "the report marked spam");
    db.exec("UPDATE submissions SET status = 'new'");
    assert_eq!(account_reports(&db, 1), n + 1, "and no longer spam");
    // A case moved to another unit leaves this unit's count, not the nation's.
    crate::units::add_unit(&db, "DNG", "DNG", "Công an TP Đà Nẵng").await;
    db.exec(&format!(
        "UPDATE identifier_links SET unit_id = (SELECT id FROM units WHERE code = 'DNG')
         WHERE case_id = (SELECT id FROM cases WHERE ref = '{}')",
        refs[1]
    ));
    assert_eq!(account_reports(&db, 1), n);
    assert_eq!(account_reports(&db, 0), n + 1, "every unit");
    db.exec(&format!(
        "UPDATE identifier_links SET role = 'victim' WHERE case_id = (SELECT id FROM cases WHERE ref = '{}')",
        refs[2]
    ));
    assert_eq!(
        account_reports(&db, 1),
        n - 1,
        "a victim's own account is not counted"
    );
    db.exec(&format!(
        "DELETE FROM identifier_links WHERE case_id = (SELECT id FROM cases WHERE ref = '{}')",
        refs[3]
    ));
    assert_eq!(account_reports(&db, 1), n - 2, "a link removed");
    assert_eq!(kept(), 2, "the unit's and the nation's");

    // Asked twice in one batch while counted afresh: kept once, both answered.
    db.exec("DELETE FROM identifier_lookups");
    let one = serde_json::json!({"kind": "bank_account", "bank": "VCB", "value": "0011004455667"});
    let res = call(
        &mut api,
        "POST",
        "/api/v1/identifiers/lookup",
        Some(&t),
        Some(serde_json::json!({ "values": [one.clone(), one] })),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let both = json_of(&res);
    assert_eq!(both["results"][0]["reports"], n - 2);
    assert_eq!(both["results"][1]["reports"], n - 2);
    assert_eq!(kept(), 1);
}

fn cases_merge(db: &TestDb, who: &cyberdesk::auth::CurrentUser, from: &str, into: &str) {
    cyberdesk::services::cases::merge(
        &mut db.conn(),
        who,
        &RequestMeta::default(),
        &db.config(),
        from,
        into,
    )
    .expect("merge");
}
