//! Every page kind is valid HTML by the Nu Html Checker (vnu), the checker
//! the W3C runs: public and staff pages, in Vietnamese and English, empty and
//! with data. `.ci/run` installs it (`vnu-jar` from npm, offline, and a Java
//! runtime); set `VNU_JAR` to use another copy.

use std::path::PathBuf;

use actix_web::http::StatusCode;

use crate::cases::{create, me};
use crate::common::{client, AppService, Client, TestDb, PASSWORD};
use crate::evidence::attach_statement;
use crate::i18n::english;
use crate::portal::{code_of, crime, send, PNG};

fn vnu_jar() -> PathBuf {
    let jar = std::env::var_os("VNU_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("var/vnu/node_modules/vnu-jar/build/dist/vnu.jar")
        });
    assert!(
        jar.exists(),
        "the Nu Html Checker is not at {}: run `npm install --prefix var/vnu --no-save --ignore-scripts vnu-jar` (.ci/run does) or set VNU_JAR",
        jar.display()
    );
    jar
}

/// The pages fetched, by name, to be checked in one run of the checker.
#[derive(Default)]
struct Pages(Vec<(String, String)>);

impl Pages {
    async fn get<S: AppService>(&mut self, c: &mut Client<S>, name: &str, path: &str) {
        let res = c.get(path).await;
        assert!(
            res.status == StatusCode::OK || res.status == StatusCode::NOT_FOUND,
            "{name} ({path}): {}",
            res.status
        );
        self.add(name, res.body);
    }

    fn add(&mut self, name: &str, body: String) {
        assert!(
            body.starts_with("<!doctype html>") || body.starts_with("<!DOCTYPE html>"),
            "{name} is a page"
        );
        self.0.push((name.to_owned(), body));
    }
}

async fn signed_in_as<S: AppService>(c: &mut Client<S>, email: &str) {
    assert_eq!(c.login(email, PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn every_page_kind_is_valid_html() {
    let jar = vnu_jar();
    let db = TestDb::new();
    let admin = db.user("qt@pa05.test.vn", "admin", PASSWORD);
    let sup = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    let off = db.user("cb@pa05.test.vn", "officer", PASSWORD);
    db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {off}"));
    let mut pages = Pages::default();

    for lang in ["vi", "en"] {
        // Empty: before any report or case.
        let mut public = client(&db).await;
        if lang == "en" {
            english(&mut public).await;
        }
        for (name, path) in [
            ("login", "/login"),
            ("report-index", "/report"),
            ("report-crime", "/report/crime"),
            ("report-incident", "/report/incident"),
            ("report-breach", "/report/breach"),
            ("track", "/track"),
            ("not-found", "/no-such-page"),
        ] {
            pages
                .get(&mut public, &format!("{lang}-{name}"), path)
                .await;
        }
        let mut s = client(&db).await;
        if lang == "en" {
            english(&mut s).await;
        }
        signed_in_as(&mut s, "ld@pa05.test.vn").await;
        for (name, path) in [
            ("dashboard-empty", "/"),
            ("cases-empty", "/cases"),
            ("intake-empty", "/intake"),
            ("identifiers-empty", "/identifiers"),
            ("case-new", "/cases/new"),
            ("stats-empty", "/stats"),
            ("stats-report", "/stats/report?period=y2026"),
            ("profile", "/profile"),
            ("tokens-empty", "/profile/tokens"),
            ("second-factor-set-up", "/profile/2fa"),
            ("sessions", "/profile/sessions"),
            ("api-docs", "/api/docs"),
            ("password", "/password/change"),
        ] {
            pages.get(&mut s, &format!("{lang}-{name}"), path).await;
        }
        // With a second factor on: its sign-in step, then its page.
        let tfa = format!("tfa-{lang}@pa05.test.vn");
        let tfa_id = db.user(&tfa, "officer", PASSWORD);
        db.exec(&format!(
            "UPDATE users SET totp_secret = '\\x3132333435363738393031323334353637383930', totp_enabled_at = now() WHERE id = {tfa_id}"
        ));
        let mut t = client(&db).await;
        if lang == "en" {
            english(&mut t).await;
        }
        signed_in_as(&mut t, &tfa).await;
        pages
            .get(&mut t, &format!("{lang}-login-second-step"), "/login/2fa")
            .await;
        let code = cyberdesk::domain::second_factor::code_at(
            b"12345678901234567890",
            chrono::Utc::now().timestamp() as u64,
        );
        let res = t.post("/login/2fa", &[("code", &code)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        pages
            .get(&mut t, &format!("{lang}-second-factor-on"), "/profile/2fa")
            .await;
    }

    // Data: a citizen's report with files, a case from it, a case of the
    // officer's own with evidence, identifiers.
    let mut citizen = client(&db).await;
    let res = send(&mut citizen, "crime", &crime(&[]), &[("anh.png", PNG)]).await;
    assert_eq!(res.status, StatusCode::OK);
    pages.add("vi-receipt", res.body.clone());
    let code = code_of(&res.body);
    let tracked = citizen
        .post("/track", &[("code", &code), ("proof", "0987 654 321")])
        .await;
    assert_eq!(tracked.status, StatusCode::OK, "{}", tracked.body);
    pages.add("vi-track-result", tracked.body);
    // A report with errors comes back with its messages.
    let bad = send(&mut citizen, "crime", &crime(&[("narrative", "ngắn")]), &[]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    pages.add("vi-report-errors", bad.body);
    send(
        &mut citizen,
        "incident",
        &crime(&[("org_name", "Sở X"), ("affected_system", "Cổng")]),
        &[],
    )
    .await;
    let sid = db.count("SELECT min(id) AS n FROM submissions");
    let reference = create(&db, &me(&db, off), &[]);
    let decided = create(&db, &me(&db, off), &[("title", "Vụ đã có kết quả")]);
    crate::print::resolve(&db, sup, &decided, off);
    let id_id = db.count("SELECT min(id) AS n FROM identifiers");

    for lang in ["vi", "en"] {
        let mut o = client(&db).await;
        if lang == "en" {
            english(&mut o).await;
        }
        signed_in_as(&mut o, "cb@pa05.test.vn").await;
        if lang == "vi" {
            o.get(&format!("/cases/{reference}")).await;
            let up = attach_statement(&mut o, &reference).await;
            let why: Vec<&str> = up
                .body
                .match_indices("field-error")
                .map(|(i, _)| &up.body[i..(i + 200).min(up.body.len())])
                .collect();
            assert_eq!(up.status, StatusCode::SEE_OTHER, "{why:?}");
        }
        let xid = db.count("SELECT max(id) AS n FROM exhibits");
        for (name, path) in [
            ("dashboard", "/".to_owned()),
            ("cases", "/cases".to_owned()),
            (
                "cases-filtered",
                "/cases?status=new&sort=deadline".to_owned(),
            ),
            ("case", format!("/cases/{reference}")),
            ("case-edit", format!("/cases/{reference}/edit")),
            ("exhibit", format!("/cases/{reference}/exhibits/{xid}")),
            ("custody", format!("/cases/{reference}/custody")),
            ("case-decided", format!("/cases/{decided}")),
            ("case-print", format!("/cases/{reference}/print")),
            (
                "case-print-reporter",
                format!("/cases/{reference}/print?reporter=1"),
            ),
            (
                "intake-record",
                format!("/cases/{reference}/print/intake-record"),
            ),
            (
                "outcome-notice",
                format!("/cases/{decided}/print/outcome-notice"),
            ),
            ("intake", "/intake".to_owned()),
            ("intake-search", "/intake?q=0987654321".to_owned()),
            ("intake-report", format!("/intake/{sid}")),
            ("intake-incident", format!("/intake/{}", sid + 1)),
            ("identifiers", "/identifiers?q=0912345678".to_owned()),
            ("identifier", format!("/identifiers/{id_id}")),
            ("stats", "/stats?period=y2026".to_owned()),
            (
                "cases-figure",
                "/cases?status=reports&decided_from=2026-01-01&decided_to=2026-12-31&result=prosecuted".to_owned(),
            ),
        ] {
            pages.get(&mut o, &format!("{lang}-{name}"), &path).await;
        }
        // An uploaded register (its preview) and a dry run of it (its report).
        let (upload, dry) = {
            use cyberdesk::models::import_run::RunKind;
            use cyberdesk::services::import;
            let mut conn = db.conn();
            let csv = "External ID,Case type,Received,Title\n1,crime_report,05/03/2024,Lừa đảo\n2,crime_report,31/02/2024,Sai ngày\n";
            let key = format!("html{lang}");
            import::keep_file(&db.config().data_dir, &key, csv.as_bytes()).expect("file");
            let actor = import::Actor::cli(
                &mut conn,
                Some("qt@pa05.test.vn"),
                cyberdesk::i18n::Lang::Vi,
            )
            .expect("admin");
            let s = import::settings(&mut conn, "", "Sổ cũ", "", false)
                .expect("db")
                .expect("settings");
            let file = import::NewFile {
                file_name: "so-cu.csv",
                file_key: &key,
                sha256: "",
                size: csv.len() as i64,
                format: "CSV",
            };
            let upload = import::start(&mut conn, &actor, RunKind::Upload, None, &file, &s, "web")
                .expect("upload");
            let dry = import::start(
                &mut conn,
                &actor,
                RunKind::DryRun,
                Some(&upload),
                &file,
                &s,
                "web",
            )
            .expect("dry run");
            import::execute(
                &mut conn,
                &dry,
                &actor,
                csv.as_bytes(),
                None,
                &mut |_| {},
                &mut |_| {},
            )
            .expect("run");
            (upload.id, dry.id)
        };
        // A service account with a token and a revoked one: its page lists both.
        let service = {
            let input = cyberdesk::services::users::UserInput {
                email: "doi-soat@vcb.test.vn".into(),
                full_name: "Hệ thống đối soát VCB".into(),
                role: "officer".into(),
                lang: "vi".into(),
                service: true,
                ..Default::default()
            };
            let mut conn = db.conn();
            let (u, _) = cyberdesk::services::users::create(
                &mut conn,
                None,
                &Default::default(),
                &input,
                None,
            )
            .or_else(|_| {
                cyberdesk::models::user::find_by_email(&mut conn, "doi-soat@vcb.test.vn")
                    .map(|u| (u.expect("service account"), None))
                    .map_err(cyberdesk::error::AppError::from)
            })
            .expect("service account");
            if cyberdesk::models::api_token::of_user(&mut conn, u.id)
                .expect("tokens")
                .is_empty()
            {
                crate::api::token(&db, u.id, &["identifiers:lookup"]);
                crate::api::token(&db, u.id, &["hotlist:read"]);
                db.exec(&format!(
                    "UPDATE api_tokens SET revoked_at = now() WHERE id = (SELECT max(id) FROM api_tokens WHERE user_id = {})",
                    u.id
                ));
            }
            u.id
        };
        let mut a = client(&db).await;
        if lang == "en" {
            english(&mut a).await;
        }
        signed_in_as(&mut a, "qt@pa05.test.vn").await;
        for (name, path) in [
            ("admin-users", "/admin/users".to_owned()),
            ("admin-user-new", "/admin/users/new".to_owned()),
            ("admin-user", format!("/admin/users/{sup}")),
            ("admin-service-account", format!("/admin/users/{service}")),
            ("admin-audit", "/admin/audit".to_owned()),
            ("admin-mail", "/admin/mail".to_owned()),
            ("admin-categories", "/admin/categories".to_owned()),
            ("admin-banks", "/admin/banks".to_owned()),
            ("admin-deadlines", "/admin/deadlines".to_owned()),
            ("admin-legal", "/admin/legal".to_owned()),
            ("admin-retention", "/admin/retention?dry_run=1".to_owned()),
            ("admin-units", "/admin/units".to_owned()),
            ("admin-unit", "/admin/units/1".to_owned()),
            ("admin-import", "/admin/import".to_owned()),
            ("admin-import-upload", format!("/admin/import/{upload}")),
            ("admin-import-dry-run", format!("/admin/import/{dry}")),
        ] {
            pages.get(&mut a, &format!("{lang}-{name}"), &path).await;
        }
        let _ = admin;
    }

    // A case passed to another unit: the transfer as each side sees it, and
    // both intakes with their transfer lists.
    let unit = cyberdesk::services::units::create(
        &mut db.conn(),
        None,
        &cyberdesk::domain::RequestMeta::default(),
        &cyberdesk::services::units::UnitInput {
            code: "QNA".into(),
            kind: "cyber_division".into(),
            ref_prefix: "QNA".into(),
            name_vi: "Phòng An ninh mạng - Công an thành phố Đà Nẵng".into(),
            contact: "0236 3822 123".into(),
            active: true,
            ..Default::default()
        },
    )
    .expect("unit");
    let moving = create(&db, &me(&db, off), &[("title", "Chuyển cho Đà Nẵng")]);
    let t = cyberdesk::services::transfers::send(
        &mut db.conn(),
        &me(&db, off),
        &cyberdesk::domain::RequestMeta::default(),
        &db.config(),
        &moving,
        &unit.code,
        "Đối tượng ở Đà Nẵng",
    )
    .expect("transfer");
    let other = db.user_in("cb@qna.test.vn", "officer", PASSWORD, "QNA");
    db.exec(&format!(
        "UPDATE users SET on_duty = true WHERE id = {other}"
    ));
    for lang in ["vi", "en"] {
        for (email, side) in [
            ("ld@pa05.test.vn", "sender"),
            ("cb@qna.test.vn", "receiver"),
        ] {
            let mut c = client(&db).await;
            if lang == "en" {
                english(&mut c).await;
            }
            signed_in_as(&mut c, email).await;
            pages
                .get(
                    &mut c,
                    &format!("{lang}-transfer-{side}"),
                    &format!("/transfers/{}", t.id),
                )
                .await;
            pages
                .get(
                    &mut c,
                    &format!("{lang}-intake-transfers-{side}"),
                    "/intake",
                )
                .await;
            if side == "sender" {
                pages
                    .get(&mut c, &format!("{lang}-transfers-sent"), "/transfers")
                    .await;
            }
        }
    }

    // A request for details between the units, answered with a shared case.
    create(&db, &me(&db, other), &[("title", "Vụ của Đà Nẵng")]);
    let account = db.count("SELECT id AS n FROM identifiers WHERE value = 'VCB:0011004455667'");
    let r = cyberdesk::services::requests::ask(
        &mut db.conn(),
        &me(&db, other),
        &cyberdesk::domain::RequestMeta::default(),
        &db.config(),
        account,
        "PA05",
        "Đề nghị cho biết chủ tài khoản",
    )
    .expect("ask");
    for lang in ["vi", "en"] {
        for (email, side) in [
            ("ld@pa05.test.vn", "answering"),
            ("cb@qna.test.vn", "asking"),
        ] {
            let mut c = client(&db).await;
            if lang == "en" {
                english(&mut c).await;
            }
            signed_in_as(&mut c, email).await;
            pages
                .get(&mut c, &format!("{lang}-requests-{side}"), "/requests")
                .await;
            pages
                .get(
                    &mut c,
                    &format!("{lang}-request-{side}-open"),
                    &format!("/requests/{}", r.id),
                )
                .await;
        }
    }
    let own = db.count(&format!("SELECT min(c.id) AS n FROM cases c JOIN identifier_links l ON l.case_id = c.id WHERE l.identifier_id = {account} AND c.unit_id = 1"));
    cyberdesk::services::requests::answer(
        &mut db.conn(),
        &me(&db, sup),
        &cyberdesk::domain::RequestMeta::default(),
        r.id,
        &[own],
        "Xem vụ đính kèm",
    )
    .expect("answer");
    let share = db.count("SELECT max(id) AS n FROM case_shares");
    for lang in ["vi", "en"] {
        let mut c = client(&db).await;
        if lang == "en" {
            english(&mut c).await;
        }
        signed_in_as(&mut c, "cb@qna.test.vn").await;
        pages
            .get(
                &mut c,
                &format!("{lang}-request-answered"),
                &format!("/requests/{}", r.id),
            )
            .await;
        pages
            .get(
                &mut c,
                &format!("{lang}-shared-case"),
                &format!("/shares/{share}"),
            )
            .await;
        pages
            .get(
                &mut c,
                &format!("{lang}-request-new"),
                &format!("/requests/new?identifier={account}&unit=PA05"),
            )
            .await;
    }

    // One run of the checker over every page.
    let dir = std::env::temp_dir().join(format!(
        "cyberdesk-html-{}",
        cyberdesk::domain::token::random_alnum(8).to_lowercase()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut files = Vec::new();
    for (name, body) in &pages.0 {
        let f = dir.join(format!("{name}.html"));
        std::fs::write(&f, body).expect("write page");
        files.push(f);
    }
    // A page known to be invalid: the checker must name it (and only it), or
    // it is not really checking.
    let canary = dir.join("canary-invalid.html");
    std::fs::write(
        &canary,
        "<!doctype html><html lang=\"vi\"><head><title>x</title></head><body><time>01/12/2026 15:58</time></body></html>",
    )
    .expect("write canary");
    files.push(canary);
    let out = std::process::Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "gnu"])
        .args(&files)
        .output()
        .expect("java runs (install default-jre-headless; .ci/run does)");
    let report =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    let (canary_lines, errors): (Vec<&str>, Vec<&str>) = report
        .lines()
        .filter(|l| !l.trim().is_empty())
        .partition(|l| l.contains("canary-invalid.html"));
    assert!(
        !canary_lines.is_empty(),
        "the checker found nothing in the invalid canary: {report}"
    );
    assert!(
        errors.is_empty(),
        "{} pages, errors:\n{}",
        files.len() - 1,
        errors.join("\n")
    );
    assert!(files.len() > 60, "{} pages checked", files.len() - 1);
}
