//! Catalogue completeness and language selection.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;

use crate::common::{client, signed_in, AppService, Client, TestDb};
use cyberdesk::i18n::{catalog_keys, EN_FTL, VI_FTL};

/// Switches the client `c` to English.
pub(crate) async fn english<S: AppService>(c: &mut Client<S>) {
    let res = c.post("/lang", &[("lang", "en"), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

fn keys(src: &str) -> BTreeSet<String> {
    catalog_keys(src).into_iter().collect()
}

#[test]
fn both_catalogues_have_the_same_keys() {
    let vi = keys(VI_FTL);
    let en = keys(EN_FTL);
    let only_vi: Vec<_> = vi.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&vi).collect();
    assert!(
        only_vi.is_empty() && only_en.is_empty(),
        "only in vi: {only_vi:?}; only in en: {only_en:?}"
    );
    assert!(vi.len() > 100);
}

/// Keys written as `t("…")`, `t1("…"` or `k("…")` in templates and Rust sources.
fn used_keys(dir: &std::path::Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            used_keys(&path, out);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for marker in ["t(\"", "t1(\"", "k(\""] {
            for (i, _) in text.match_indices(marker) {
                let prev = text[..i].chars().last().unwrap_or(' ');
                if prev.is_alphanumeric() || prev == '_' {
                    continue;
                }
                let rest = &text[i + marker.len()..];
                if let Some(end) = rest.find('"') {
                    let key = &rest[..end];
                    // Skips prose such as `k("…")` in doc comments.
                    if key.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    }) {
                        out.insert(key.to_owned());
                    }
                }
            }
        }
    }
}

#[test]
fn every_key_used_in_templates_and_code_exists() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut used = BTreeSet::new();
    used_keys(&root.join("templates"), &mut used);
    used_keys(&root.join("src"), &mut used);
    assert!(used.len() > 80, "scanner found {} keys", used.len());
    let defined = keys(VI_FTL);
    let missing: Vec<_> = used.iter().filter(|k| !defined.contains(*k)).collect();
    assert!(missing.is_empty(), "keys used but not defined: {missing:?}");
    // Audit action labels are looked up by name.
    for action in cyberdesk::models::audit::ACTIONS {
        assert!(
            defined.contains(&format!("audit-{action}")),
            "no label for audit action {action}"
        );
    }
}

#[actix_web::test]
async fn language_comes_from_preference_then_cookie_then_header_then_default() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    assert!(
        c.get("/login").await.body.contains("<html lang=\"vi\""),
        "default"
    );
    c.headers = vec![("accept-language".into(), "en-GB,en;q=0.9".into())];
    let page = c.get("/login").await;
    assert!(
        page.body.contains("<html lang=\"en\"") && page.body.contains("Sign in"),
        "Accept-Language"
    );
    c.cookies.insert("cd_lang".into(), "vi".into());
    assert!(
        c.get("/login").await.body.contains("<html lang=\"vi\""),
        "cookie beats the header"
    );

    // The switch sets the cookie and, for a signed-in user, the saved preference.
    let (mut officer, id) = signed_in(&db, "officer").await;
    let res = officer
        .post("/lang", &[("lang", "en"), ("next", "/profile")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/profile");
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {id} AND lang = 'en'"
        )),
        1
    );
    officer.cookies.insert("cd_lang".into(), "vi".into());
    let page = officer.get("/profile").await;
    assert!(
        page.body.contains("<html lang=\"en\"") && page.body.contains("Profile"),
        "preference beats the cookie"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'profile_language'"),
        1
    );
}

#[actix_web::test]
async fn dates_are_shown_in_ho_chi_minh_time() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    let id = db.user("t@pa05.test.vn", "officer", crate::common::PASSWORD);
    db.exec(&format!(
        "UPDATE users SET created_at = '2026-12-31 18:05:00+00' WHERE id = {id}"
    ));
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(page.body.contains("01/01/2027 01:05"), "{}", page.body);
}

#[test]
fn no_key_is_defined_twice() {
    // A second definition silently replaces the first (fluent overrides it),
    // so one page's text would change when another page's is added.
    for source in [
        include_str!("../../src/i18n/vi.ftl"),
        include_str!("../../src/i18n/en.ftl"),
    ] {
        let keys = cyberdesk::i18n::catalog_keys(source);
        let mut seen = std::collections::BTreeSet::new();
        let twice: Vec<&String> = keys.iter().filter(|k| !seen.insert(k.as_str())).collect();
        assert!(twice.is_empty(), "defined twice: {twice:?}");
    }
}
