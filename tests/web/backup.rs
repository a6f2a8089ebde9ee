//! Backups that restore (issue 20): a seeded unit with exhibits, public
//! reports and their files is backed up with the binary, dropped, restored,
//! and found the same: every table's rows, the audit log's chain and head,
//! every stored file's hash. A damaged or forged backup is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use actix_web::http::StatusCode;

use crate::cases::{create, me};
use crate::common::{admin_exec, app, Client, TestDb, PASSWORD};
use crate::portal::{crime, send, PNG};
use cyberdesk::AppState;

const BIN: &str = env!("CARGO_BIN_EXE_cyberdesk");

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "cyberdesk-{name}-{}",
        cyberdesk::domain::token::random_alnum(10).to_lowercase()
    ))
}

/// The binary with only the settings a backup needs.
fn cyberdesk(url: &str, data_dir: &Path, args: &[&str]) -> (bool, String) {
    cyberdesk_with(url, data_dir, &[], args)
}

fn cyberdesk_with(
    url: &str,
    data_dir: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> (bool, String) {
    let out = Command::new(BIN)
        .env_clear()
        .envs(env.iter().copied())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .args(args)
        .output()
        .expect("run cyberdesk");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Everything a restore must bring back, read from the database.
fn fingerprint(db: &TestDb) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in [
        "cases",
        "case_events",
        "identifiers",
        "identifier_links",
        "exhibits",
        "custody_events",
        "submissions",
        "submission_files",
        "email_outbox",
        "audit_log",
        "users",
        "sessions",
    ] {
        out.push((
            t.into(),
            db.count(&format!("SELECT count(*) AS n FROM {t}")),
        ));
    }
    out.push((
        "max audit seq".into(),
        db.count("SELECT coalesce(max(seq), 0) AS n FROM audit_log"),
    ));
    out
}

fn hashes(db: &TestDb) -> Vec<(String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        sha: String,
    }
    use diesel::RunQueryDsl;
    diesel::sql_query(
        "SELECT storage_id AS id, sha256 AS sha FROM exhibits UNION SELECT storage_id, sha256 FROM submission_files ORDER BY 1",
    )
    .load::<Row>(&mut db.conn())
    .expect("hashes")
    .into_iter()
    .map(|r| (r.id, r.sha))
    .collect()
}

fn sha_of(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    cyberdesk::domain::token::hex(&Sha256::digest(std::fs::read(path).expect("read file")))
}

#[actix_web::test]
async fn a_backup_restores_everything_and_a_damaged_one_is_refused() {
    let db = TestDb::new();
    let data = temp("backup-data");
    let mut cfg = db.config();
    cfg.data_dir = data.clone();
    let state = actix_web::web::Data::new(AppState::new(cfg.clone()));

    // A unit at work: seeded cases, two public reports with screenshots,
    // an officer's case with an exhibit.
    cyberdesk::seed::run(&mut db.conn(), &cfg, (300, 1), Some(PASSWORD), |_, _, _| {})
        .expect("seed");
    let mut public = Client::new(app(state.clone()).await);
    for name in ["Trần Thị Bích", "Lê Văn Cường"] {
        let res = send(
            &mut public,
            "crime",
            &crime(&[("reporter_name", name)]),
            &[("tin nhắn.png", PNG)],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let oid = db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let reference = create(&db, &me(&db, oid), &[]);
    let mut officer = Client::new(app(state.clone()).await);
    assert_eq!(
        officer.login("lan@pa05.test.vn", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let page = officer.get(&format!("/cases/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let res = officer
        .post_files(
            &format!("/cases/{reference}/exhibits"),
            &[("kind", "evidence"), ("description", "Sao kê")],
            "file",
            &[("sao kê.pdf", crate::evidence::PDF)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // The binary's first run on this database names the first unit from the
    // settings (an audited change); do it now, so the chain is what it stays.
    let (ok, chain) = cyberdesk(&db.url, &data, &["audit", "verify"]);
    assert!(ok && chain.contains("audit log intact"), "{chain}");
    let before = fingerprint(&db);
    let files = hashes(&db);
    assert!(files.len() >= 3, "exhibits and attachments: {files:?}");
    assert!(before[0].1 >= 301);

    // Back up. A folder that holds anything is refused.
    let dir = temp("backup");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("old.txt"), b"x").expect("write");
    let (ok, out) = cyberdesk(&db.url, &data, &["backup", dir.to_str().expect("path")]);
    assert!(!ok && out.contains("is not empty"), "{out}");
    std::fs::remove_file(dir.join("old.txt")).expect("rm");
    let (ok, out) = cyberdesk(&db.url, &data, &["backup", dir.to_str().expect("path")]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("{} stored files", files.len())),
        "{out}"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["counts"]["cases"], before[0].1);
    assert_eq!(manifest["audit"]["intact"], true);
    for (id, sha) in &files {
        assert_eq!(
            &sha_of(&dir.join("evidence").join(id)),
            sha,
            "copied as recorded"
        );
    }
    let (ok, out) = cyberdesk(
        &db.url,
        &data,
        &["backup", "verify", dir.to_str().expect("path")],
    );
    assert!(ok && out.contains("backup OK"), "{out}");

    // Drop everything: the database and the files.
    let name = db.name.clone();
    admin_exec(&format!("DROP DATABASE {name} WITH (FORCE)"));
    std::fs::remove_dir_all(&data).expect("remove data");
    let restored_data = temp("restored-data");

    // Restore onto the same database name, and prove it is the same.
    let (ok, out) = cyberdesk(
        &db.url,
        &restored_data,
        &["restore", dir.to_str().expect("path")],
    );
    assert!(ok, "{out}");
    assert!(out.contains("with the backup's row counts"), "{out}");
    assert_eq!(fingerprint(&db), before);
    assert_eq!(hashes(&db), files);
    for (id, sha) in &files {
        assert_eq!(&sha_of(&restored_data.join("evidence").join(id)), sha);
    }
    let (ok, out) = cyberdesk(&db.url, &restored_data, &["audit", "verify"]);
    assert!(ok && out.contains("audit log intact"), "{out}");
    assert_eq!(out, chain, "the same chain, rows and head");
    assert!(
        out.contains(manifest["audit"]["last_hash"].as_str().expect("hash")),
        "the manifest names the head: {out} vs {}",
        manifest["audit"]
    );
    // The restored unit works: the officer signs in and opens the exhibit's case.
    let mut cfg2 = cfg.clone();
    cfg2.data_dir = restored_data.clone();
    let mut again = Client::new(app(actix_web::web::Data::new(AppState::new(cfg2))).await);
    assert_eq!(
        again.login("lan@pa05.test.vn", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let page = again.get(&format!("/cases/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("sao kê.pdf"));

    // A restore never overwrites: the database now has tables, the folder files.
    let (ok, out) = cyberdesk(
        &db.url,
        &temp("empty"),
        &["restore", dir.to_str().expect("path")],
    );
    assert!(!ok && out.contains("is not empty"), "{out}");
    let other = TestDb::empty();
    let (ok, out) = cyberdesk(
        &other.url,
        &restored_data,
        &["restore", dir.to_str().expect("path")],
    );
    assert!(!ok && out.contains("already holds files"), "{out}");
    assert_eq!(
        other.count("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"),
        0
    );

    // Damage: one flipped byte in an exhibit, a truncated dump, a file added,
    // a manifest path that points outside. Each is named; restore refuses.
    let (first_id, _) = &files[0];
    let victim = dir.join("evidence").join(first_id);
    let mut bytes = std::fs::read(&victim).expect("read");
    bytes[0] ^= 0xff;
    std::fs::write(&victim, &bytes).expect("write");
    let (ok, out) = cyberdesk(
        &db.url,
        &data,
        &["backup", "verify", dir.to_str().expect("path")],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("evidence/{first_id} does not match its SHA-256")),
        "{out}"
    );
    let (ok, out) = cyberdesk(
        &other.url,
        &temp("r2"),
        &["restore", dir.to_str().expect("path")],
    );
    assert!(!ok && out.contains("does not match"), "{out}");
    assert_eq!(
        other.count("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"),
        0,
        "nothing half-restored"
    );
    bytes[0] ^= 0xff;
    std::fs::write(&victim, &bytes).expect("write");

    std::fs::write(dir.join("evidence").join("extra"), b"x").expect("write");
    let (ok, out) = cyberdesk(
        &db.url,
        &data,
        &["backup", "verify", dir.to_str().expect("path")],
    );
    assert!(
        !ok && out.contains("evidence/extra is in the folder but not in the manifest"),
        "{out}"
    );
    std::fs::remove_file(dir.join("evidence").join("extra")).expect("rm");

    let dump = dir.join("database.dump");
    let whole = std::fs::read(&dump).expect("dump");
    std::fs::write(&dump, &whole[..whole.len() / 2]).expect("truncate");
    let (ok, out) = cyberdesk(
        &db.url,
        &data,
        &["backup", "verify", dir.to_str().expect("path")],
    );
    assert!(!ok && out.contains("database.dump is"), "{out}");
    std::fs::write(&dump, &whole).expect("restore dump");

    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    std::fs::write(
        dir.join("manifest.json"),
        text.replacen(
            &format!("evidence/{first_id}"),
            "evidence/../../../etc/passwd",
            1,
        ),
    )
    .expect("forge");
    let (ok, out) = cyberdesk(
        &db.url,
        &data,
        &["backup", "verify", dir.to_str().expect("path")],
    );
    assert!(
        !ok && out.contains("is not a file name a backup holds"),
        "{out}"
    );
    std::fs::write(dir.join("manifest.json"), &text).expect("put back");
    let (ok, out) = cyberdesk(
        &db.url,
        &data,
        &["backup", "verify", dir.to_str().expect("path")],
    );
    assert!(ok, "whole again: {out}");

    for d in [&dir, &restored_data] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// With evidence in a bucket: the backup downloads each object, a restore
/// uploads them to the (empty) bucket it is given and refuses one that holds
/// them already, so a rehearsal cannot write into the live bucket.
#[actix_web::test]
async fn with_s3_the_backup_holds_the_objects_and_a_restore_fills_only_an_empty_bucket() {
    let s3 = crate::common::s3::S3Server::start();
    let db = TestDb::new();
    let data = temp("backup-s3");
    let mut cfg = db.config();
    cfg.data_dir = data.clone();
    cfg.s3 = Some(s3.config());
    let oid = db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let reference = create(&db, &me(&db, oid), &[]);
    let mut c = Client::new(app(actix_web::web::Data::new(AppState::new(cfg))).await);
    assert_eq!(
        c.login("lan@pa05.test.vn", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    c.get(&format!("/cases/{reference}")).await;
    let res = c
        .post_files(
            &format!("/cases/{reference}/exhibits"),
            &[("kind", "evidence"), ("description", "Sao kê")],
            "file",
            &[("sao kê.pdf", crate::evidence::PDF)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let files = hashes(&db);
    assert_eq!(files.len(), 1);
    let (id, sha) = &files[0];
    let env = |bucket: &'static str| {
        vec![
            ("S3_BUCKET", bucket),
            ("S3_ENDPOINT", s3.endpoint.as_str()),
            ("S3_ACCESS_KEY_ID", "test"),
            ("S3_SECRET_ACCESS_KEY", "test"),
        ]
    };

    let dir = temp("backup-s3-copy");
    let (ok, out) = cyberdesk_with(
        &db.url,
        &data,
        &env("cyberdesk-evidence"),
        &["backup", dir.to_str().expect("path")],
    );
    assert!(ok && out.contains("1 stored files"), "{out}");
    assert_eq!(
        &sha_of(&dir.join("evidence").join(id)),
        sha,
        "downloaded from the bucket"
    );

    // Into the live bucket: refused before anything is written.
    let target = TestDb::empty();
    let (ok, out) = cyberdesk_with(
        &target.url,
        &temp("r-live"),
        &env("cyberdesk-evidence"),
        &["restore", dir.to_str().expect("path")],
    );
    assert!(!ok && out.contains("the bucket already holds"), "{out}");
    assert_eq!(
        target.count("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"),
        0
    );

    // Into an empty bucket: restored, uploaded, every hash checked.
    assert_eq!(s3.raw("PUT", "/cyberdesk-rehearsal", b"").0, 200);
    let (ok, out) = cyberdesk_with(
        &target.url,
        &temp("r-new"),
        &env("cyberdesk-rehearsal"),
        &["restore", dir.to_str().expect("path")],
    );
    assert!(
        ok && out.contains("1 stored files with their recorded SHA-256"),
        "{out}"
    );
    let (status, body) = s3.raw("GET", &format!("/cyberdesk-rehearsal/evidence/{id}"), b"");
    assert_eq!(status, 200);
    assert_eq!(body, crate::evidence::PDF);
    let _ = std::fs::remove_dir_all(&dir);
}
