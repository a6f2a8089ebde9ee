//! End to end in a real headless Chromium (Debian `chromium` + `chromium-driver`):
//! sign in, see the dashboard, switch language, sign out.

mod common;

use std::{
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use actix_web::{web, App, HttpServer};
use common::{free_port, KillOnDrop, TestDb, PASSWORD};
use fantoccini::{ClientBuilder, Locator};

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts the real server (same `configure` as `main`) on a free port.
fn start_server(db: &TestDb) -> (String, actix_web::dev::ServerHandle) {
    let (base, handle, _) = start_server_logged(db);
    (base, handle)
}

/// Requests the server answered, as "METHOD /path status".
type RequestLog = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// The server, with a log of the requests it answered (to tell that a
/// browser really sent something twice).
fn start_server_logged(db: &TestDb) -> (String, actix_web::dev::ServerHandle, RequestLog) {
    let log = RequestLog::default();
    let seen = log.clone();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cfg = db.config();
    cfg.public_base_url = base.clone();
    let state = web::Data::new(cyberdesk::AppState::new(cfg));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let seen = seen.clone();
                App::new()
                    .wrap_fn(move |req, srv| {
                        use actix_web::dev::Service;
                        let line = format!("{} {}", req.method(), req.path());
                        let seen = seen.clone();
                        let fut = srv.call(req);
                        async move {
                            let res = fut.await?;
                            if let Ok(mut l) = seen.lock() {
                                l.push(format!("{line} {}", res.status().as_u16()));
                            }
                            Ok(res)
                        }
                    })
                    .app_data(state.clone())
                    .configure(cyberdesk::configure)
            })
            .workers(2)
            .bind(("127.0.0.1", port))
            .expect("bind test server")
            .run();
            let _ = tx.send(server.handle());
            server.await
        })
    });
    let handle = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("server started");
    wait_for_port(port);
    (base, handle, log)
}

fn start_chromedriver() -> (KillOnDrop, u16) {
    let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect(
            "chromedriver not found: install Debian's chromium and chromium-driver (.ci/run does)",
        );
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let guard = KillOnDrop(child);
    wait_for_port(port);
    (guard, port)
}

/// A Chromium profile folder of one test's own (the test removes it).
fn fresh_profile() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "cyberdesk-chrome-{}",
        cyberdesk::domain::token::random_alnum(8)
    ))
}

/// A WebDriver session on headless Chromium with a fresh profile.
async fn browser(driver_port: u16, profile: &std::path::Path) -> fantoccini::Client {
    browser_sized(driver_port, profile, "1280,1600").await
}

/// The same with a window size such as `390,844` (a phone).
async fn browser_sized(
    driver_port: u16,
    profile: &std::path::Path,
    size: &str,
) -> fantoccini::Client {
    let mut caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--lang=vi-VN", format!("--window-size={size}"), format!("--user-data-dir={}", profile.display())
            ]
        }
    });
    // Headless Chromium keeps windows at least 500 px wide, so a phone is
    // emulated: the page then really is laid out at 390 px.
    let (w, h) = size.split_once(',').unwrap_or(("1280", "1600"));
    let (w, h): (u32, u32) = (w.parse().unwrap_or(1280), h.parse().unwrap_or(1600));
    if w < 500 {
        caps["goog:chromeOptions"]["mobileEmulation"] =
            serde_json::json!({ "deviceMetrics": { "width": w, "height": h, "pixelRatio": 1 } });
    }
    let serde_json::Value::Object(caps) = caps else {
        unreachable!("literal object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("WebDriver session")
}

async fn sign_in(
    b: &fantoccini::Client,
    base: &str,
    email: &str,
) -> Result<(), fantoccini::error::CmdError> {
    b.goto(&format!("{base}/login")).await?;
    b.find(Locator::Css("input[name=email]"))
        .await?
        .send_keys(email)
        .await?;
    b.find(Locator::Css("input[name=password]"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    click_and_load(b, Locator::Css("form[action='/login'] button[type=submit]")).await?;
    b.wait().for_element(Locator::Css("main h1")).await?;
    Ok(())
}

/// Fills the new-case form (`fields` by name), picks the first category and
/// saves it.
async fn create_case(
    b: &fantoccini::Client,
    base: &str,
    fields: &[(&str, &str)],
) -> Result<(), fantoccini::error::CmdError> {
    b.goto(&format!("{base}/cases/new")).await?;
    for (name, value) in fields {
        b.find(Locator::Css(&format!("[name='{name}']")))
            .await?
            .send_keys(value)
            .await?;
    }
    b.find(Locator::Css("select[name=category_id] option[value='1']"))
        .await?
        .click()
        .await?;
    click_and_load(b, Locator::Css("form.case-form button.primary")).await
}

/// Clicks what `loc` finds and waits until the browser has left the page
/// (its old root element goes stale): what follows then reads the new page,
/// never the old one.
async fn click_and_load(
    b: &fantoccini::Client,
    loc: Locator<'_>,
) -> Result<(), fantoccini::error::CmdError> {
    let old = b.find(Locator::Css("html")).await?;
    b.find(loc).await?.click().await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "the page did not change");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Waits (up to 10 s) until the current address satisfies `ok`.
async fn wait_url(
    b: &fantoccini::Client,
    ok: impl Fn(&str) -> bool,
) -> Result<(), fantoccini::error::CmdError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = b.current_url().await?.to_string();
        if ok(&url) {
            return Ok(());
        }
        assert!(Instant::now() < deadline, "still at {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What makes the page wider than the window (empty when it fits): the
/// elements reaching past its right edge, so a failure says what to fix.
async fn too_wide(b: &fantoccini::Client) -> Result<Vec<String>, fantoccini::error::CmdError> {
    let got = b
        .execute(
            r#"const w = window.innerWidth;
               if (document.documentElement.scrollWidth <= w + 1) return [];
               const out = [];
               for (const e of document.querySelectorAll('body *')) {
                 const r = e.getBoundingClientRect();
                 if (r.right > w + 1) out.push([r.width, e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(r.left) + '-' + Math.round(r.right) + 'px']);
               }
               // The narrowest ones that still reach past the edge are the causes.
               out.sort((a, b) => a[0] - b[0]);
               return out.slice(0, 12).map(x => x[1]);"#,
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(got).unwrap_or_default())
}

/// Checkboxes and radios sit beside their labels: none is stretched wide.
async fn stretched_boxes(b: &fantoccini::Client) -> Result<usize, fantoccini::error::CmdError> {
    let got = b
        .execute(
            r#"return [...document.querySelectorAll('input[type=checkbox], input[type=radio]')]
                 .filter(e => e.getBoundingClientRect().width > 48).length;"#,
            vec![],
        )
        .await?;
    Ok(got.as_u64().unwrap_or(0) as usize)
}

async fn sign_out(b: &fantoccini::Client) -> Result<(), fantoccini::error::CmdError> {
    click_and_load(b, Locator::Css("form[action='/logout'] button")).await?;
    wait_url(b, |u| u.contains("/login")).await?;
    b.wait().for_element(Locator::Css(".flash")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_logs_a_call_a_supervisor_assigns_it_and_it_shows_on_the_dashboard() {
    let db = TestDb::new();
    let officer = db.user("lan@pa05.test.vn", "officer", PASSWORD);
    db.exec(&format!(
        "UPDATE users SET team = 'Đội 1' WHERE id = {officer}"
    ));
    db.user("hung@pa05.test.vn", "supervisor", PASSWORD);
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    let b = browser(driver_port, &profile).await;
    let result: Result<(), fantoccini::error::CmdError> = async {
        // The officer logs a phone report.
        sign_in(&b, &base, "lan@pa05.test.vn").await?;
        create_case(
            &b,
            &base,
            &[
                ("reporter_name", "Trần Thị Bích"),
                ("reporter_phone", "0912 345 678"),
                ("title", "Bị lừa chuyển tiền đặt cọc mua hàng"),
                ("tx-0-amount", "2.500.000"),
                ("tx-0-to_account", "0011004455667"),
            ],
        )
        .await?;
        let h1 = b
            .wait()
            .for_element(Locator::Css("main h1"))
            .await?
            .text()
            .await?;
        assert_eq!(h1, "Bị lừa chuyển tiền đặt cọc mua hàng");
        let url = b.current_url().await?.to_string();
        assert!(
            url.ends_with(&format!("/cases/PA05-TG-{}-00001", this_year())),
            "{url}"
        );
        assert!(b.source().await?.contains("2.500.000 ₫"));
        sign_out(&b).await?;

        // A supervisor assigns it to the officer.
        sign_in(&b, &base, "hung@pa05.test.vn").await?;
        b.goto(&url).await?;
        b.find(Locator::Css(&format!(
            "select[name=assignee_id] option[value='{officer}']"
        )))
        .await?
        .click()
        .await?;
        click_and_load(&b, Locator::Css("form[action$='/assign'] button")).await?;
        let flash = b
            .wait()
            .for_element(Locator::Css(".flash"))
            .await?
            .text()
            .await?;
        assert_eq!(flash, "Đã phân công.");
        sign_out(&b).await?;

        // The officer starts verifying and adds a note.
        sign_in(&b, &base, "lan@pa05.test.vn").await?;
        b.goto(&url).await?;
        click_and_load(
            &b,
            Locator::Css("form.move input[value=verifying] ~ button"),
        )
        .await?;
        b.wait().for_element(Locator::Css(".flash")).await?;
        b.find(Locator::Css("textarea[name=body]"))
            .await?
            .send_keys("Đã gọi lại cho bị hại, hẹn lên làm việc.")
            .await?;
        click_and_load(&b, Locator::Css("form[action$='/notes'] button")).await?;
        b.wait().for_element(Locator::Css("li.event-note")).await?;
        let page = b.source().await?;
        assert!(page.contains("Đang xác minh") && page.contains("Đã gọi lại cho bị hại"));

        // The dashboard lists it with its deadline.
        b.goto(&format!("{base}/")).await?;
        let panel = b
            .find(Locator::Css("section[aria-labelledby=my-title]"))
            .await?
            .text()
            .await?;
        assert!(
            panel.contains(&format!("PA05-TG-{}-00001", this_year()))
                && panel.contains("Đang xác minh"),
            "{panel}"
        );
        assert!(
            b.find(Locator::Css("section[aria-labelledby=my-title] .deadline"))
                .await
                .is_ok(),
            "deadline shown"
        );
        Ok(())
    }
    .await;
    let _ = b.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    result.expect("browser flow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_see_dashboard_switch_language_sign_out() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "supervisor", PASSWORD);
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    let browser = browser(driver_port, &profile).await;

    let result: Result<(), fantoccini::error::CmdError> = async {
        browser.goto(&format!("{base}/")).await?;
        assert!(
            browser
                .current_url()
                .await?
                .as_str()
                .starts_with(&format!("{base}/login")),
            "sent to sign in"
        );
        browser
            .find(Locator::Css("input[name=email]"))
            .await?
            .send_keys("lan@pa05.test.vn")
            .await?;
        browser
            .find(Locator::Css("input[name=password]"))
            .await?
            .send_keys(PASSWORD)
            .await?;
        click_and_load(
            &browser,
            Locator::Css("form[action='/login'] button[type=submit]"),
        )
        .await?;

        let h1 = browser
            .wait()
            .for_element(Locator::Css("main h1"))
            .await?
            .text()
            .await?;
        assert_eq!(browser.current_url().await?.as_str(), format!("{base}/"));
        assert!(h1.contains("Xin chào"), "Vietnamese dashboard: {h1}");
        let lang = browser
            .find(Locator::Css("html"))
            .await?
            .attr("lang")
            .await?;
        assert_eq!(lang.as_deref(), Some("vi"));
        assert!(
            !browser.source().await?.contains("Nhật ký thao tác"),
            "the audit log is for administrators"
        );

        click_and_load(&browser, Locator::Css("form.lang-switch button[value=en]")).await?;
        // Wait for the new page, not the old one's heading.
        browser
            .wait()
            .for_element(Locator::Css("html[lang=en]"))
            .await?;
        let h1 = browser
            .wait()
            .for_element(Locator::Css("main h1"))
            .await?
            .text()
            .await?;
        assert!(h1.contains("Hello"), "English dashboard: {h1}");
        let lang = browser
            .find(Locator::Css("html"))
            .await?
            .attr("lang")
            .await?;
        assert_eq!(lang.as_deref(), Some("en"));

        click_and_load(&browser, Locator::Css("form[action='/logout'] button")).await?;
        wait_url(&browser, |u| u.contains("/login")).await?;
        let flash = browser
            .wait()
            .for_element(Locator::Css(".flash"))
            .await?
            .text()
            .await?;
        assert!(browser
            .current_url()
            .await?
            .as_str()
            .starts_with(&format!("{base}/login")));
        assert_eq!(flash, "You have signed out.");
        browser.goto(&format!("{base}/")).await?;
        assert!(
            browser
                .current_url()
                .await?
                .as_str()
                .starts_with(&format!("{base}/login")),
            "signed out for real"
        );
        Ok(())
    }
    .await;
    let _ = browser.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    result.expect("browser flow");
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action IN ('login', 'profile_language', 'logout')"), 3);
}

/// Reference numbers carry the year of intake in the unit's time zone.
fn this_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .year()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_reports_a_scam_on_a_phone_and_an_officer_triages_it_into_a_case() {
    let db = TestDb::new();
    db.user("truc@pa05.test.vn", "supervisor", PASSWORD);
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    let shot = std::env::temp_dir().join(format!(
        "cyberdesk-shot-{}.png",
        cyberdesk::domain::token::random_alnum(8)
    ));
    // A 1×1 PNG stands in for the screenshot.
    std::fs::write(
        &shot,
        [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
            0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0A, 0x49,
            0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0,
            0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ],
    )
    .expect("write png");
    let b = browser_sized(driver_port, &profile, "390,844").await;
    let result: Result<(), fantoccini::error::CmdError> = async {
        b.goto(&format!("{base}/report")).await?;
        click_and_load(&b, Locator::Css("a[href='/report/crime']")).await?;
        b.wait().for_element(Locator::Css("form.report-form")).await?;
        assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "the form fits a phone");
        assert_eq!(stretched_boxes(&b).await?, 0, "checkboxes and radios beside their labels");
        for (name, value) in [
            ("reporter_name", "Trần Thị Bích"),
            ("reporter_phone", "0987 654 321"),
            ("summary", "Bị giả danh công an lừa chuyển tiền"),
            ("narrative", "Người gọi xưng công an, nói tôi liên quan vụ án rửa tiền và bắt chuyển tiền để xác minh."),
            ("tx-0-amount", "15.000.000"),
            ("tx-0-to_account", "0011004455667"),
            ("tx-1-amount", "5.000.000"),
            ("tx-1-to_account", "19033444555666"),
            ("id-0-value", "0912 345 678"),
        ] {
            b.find(Locator::Css(&format!("[name='{name}']"))).await?.send_keys(value).await?;
        }
        b.find(Locator::Css("input[name=category_id][value='2']")).await?.click().await?;
        b.find(Locator::Css("select[name='tx-0-to_bank'] option[value='VCB']")).await?.click().await?;
        b.find(Locator::Css("select[name='tx-1-to_bank'] option[value='TCB']")).await?.click().await?;
        b.find(Locator::Css("input[type=file][name=evidence]"))
            .await?
            .send_keys(&shot.display().to_string())
            .await?;
        b.find(Locator::Css("input[name=consent]")).await?.click().await?;
        b.find(Locator::Css("input[name=false_report_ack]")).await?.click().await?;
        click_and_load(&b, Locator::Css("button[name=send]")).await?;
        let code = b
            .wait()
            .for_element(Locator::Css("#tracking-code"))
            .await?
            .text()
            .await?;
        assert_eq!(code.len(), 15, "{code}");
        let width = b.execute("return window.innerWidth;", vec![]).await?;
        assert_eq!(width, serde_json::json!(390), "laid out at a phone's width");
        // The page fits the phone: nothing wider than the window.
        let wide = b
            .execute("return document.documentElement.scrollWidth <= window.innerWidth + 1;", vec![])
            .await?;
        assert_eq!(wide, serde_json::json!(true), "receipt fits a phone screen");

        // The citizen checks the status with the phone written another way.
        b.goto(&format!("{base}/track")).await?;
        b.find(Locator::Css("input[name=code]")).await?.send_keys(&code.to_lowercase()).await?;
        b.find(Locator::Css("input[name=proof]")).await?.send_keys("+84987654321").await?;
        click_and_load(&b, Locator::Css("form[action='/track'] button")).await?;
        let status = b.wait().for_element(Locator::Css("#status-title")).await?.text().await?;
        assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "tracking fits a phone");
        // (Headless Chromium may ask for English: either language is right.)
        assert!(
            status.contains("Đã tiếp nhận") || status.contains("Received"),
            "{status}"
        );

        // An officer triages it into a case.
        sign_in(&b, &base, "truc@pa05.test.vn").await?;
        wait_url(&b, |u| !u.contains("/login")).await?;
        b.goto(&format!("{base}/intake")).await?;
        assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "/intake fits a phone");
        click_and_load(&b, Locator::LinkText("Bị giả danh công an lừa chuyển tiền")).await?;
        b.wait().for_element(Locator::Css("form[action$='/case']")).await?;
        assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "/intake/{{id}} fits a phone");
        click_and_load(&b, Locator::Css("form[action$='/case'] button")).await?;
        wait_url(&b, |u| u.contains("/cases/PA05-TG-")).await?;
        let h1 = b.wait().for_element(Locator::Css("main h1")).await?.text().await?;
        assert_eq!(h1, "Bị giả danh công an lừa chuyển tiền");
        let page = b.source().await?;
        assert!(page.contains("20.000.000 ₫"), "both transactions in the case");
        assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "the case page fits a phone");
        assert_eq!(stretched_boxes(&b).await?, 0, "case page: boxes beside their labels");
        // The supervisor's other pages fit the phone too.
        for path in ["/", "/cases", "/cases/new", "/identifiers", "/profile"] {
            b.goto(&format!("{base}{path}")).await?;
            b.wait().for_element(Locator::Css("main h1")).await?;
            assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "{path} fits a phone");
            assert_eq!(stretched_boxes(&b).await?, 0, "{path}: boxes beside their labels");
        }
        Ok(())
    }
    .await;
    let _ = b.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_file(&shot);
    result.expect("browser flow");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submissions WHERE status = 'case'"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE detected_type = 'image/png'"),
        1
    );
}

/// The value of the form field `name` as the browser holds it.
async fn field_value(
    b: &fantoccini::Client,
    name: &str,
) -> Result<String, fantoccini::error::CmdError> {
    let v = b
        .execute(
            "return document.querySelector(`[name='${arguments[0]}']`).value;",
            vec![serde_json::json!(name)],
        )
        .await?;
    Ok(v.as_str().unwrap_or("").to_owned())
}

/// On a phone: a narrative pasted far too long comes back with a message and
/// everything kept; the bank typed as "Vietcombank" is accepted; a double tap
/// on send makes one report; the receipt reloads without the secret; and the
/// on-duty officer the citizen calls finds the report by the code they read
/// out and reads it in sections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_sends_a_report_once_on_a_phone_and_an_officer_finds_it_by_its_code() {
    let db = TestDb::new();
    let officer = db.user("truc@pa05.test.vn", "officer", PASSWORD);
    db.exec(&format!(
        "UPDATE users SET on_duty = true WHERE id = {officer}"
    ));
    let (base, server, requests) = start_server_logged(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    let b = browser_sized(driver_port, &profile, "390,844").await;
    let result: Result<(), fantoccini::error::CmdError> = async {
        b.goto(&format!("{base}/report/crime")).await?;
        b.wait().for_element(Locator::Css("form.report-form")).await?;
        for (name, value) in [
            ("reporter_name", "Lê Văn Cường"),
            ("reporter_phone", "0903 111 222"),
            ("summary", "Bị lừa làm nhiệm vụ trên mạng"),
            ("tx-0-amount", "7.500.000"),
            ("tx-0-to_account", "0011 0077 88990"),
            ("id-0-value", "0011007788990"),
            ("id-0-qualifier", "Vietcombank"),
        ] {
            b.find(Locator::Css(&format!("[name='{name}']"))).await?.send_keys(value).await?;
        }
        b.find(Locator::Css("input[name=category_id][value='2']")).await?.click().await?;
        b.find(Locator::Css("select[name='tx-0-to_bank'] option[value='VCB']")).await?.click().await?;
        b.find(Locator::Css("select[name='id-0-kind'] option[value='bank_account']")).await?.click().await?;
        b.find(Locator::Css("input[name=consent]")).await?.click().await?;
        b.find(Locator::Css("input[name=false_report_ack]")).await?.click().await?;
        // A long story pasted in: 100 KB, past what the field keeps.
        b.execute(
            "document.querySelector('[name=narrative]').value = 'Họ nhắn tin qua Telegram, bảo tôi làm nhiệm vụ. '.repeat(2200);",
            vec![],
        )
        .await?;
        click_and_load(&b, Locator::Css("button[name=send]")).await?;
        let err = b.wait().for_element(Locator::Css("#narrative-error")).await?.text().await?;
        assert!(err.contains("quá dài") || err.contains("too long"), "{err}");
        assert_eq!(field_value(&b, "reporter_name").await?, "Lê Văn Cường", "kept");
        assert_eq!(field_value(&b, "tx-0-to_account").await?, "0011 0077 88990", "kept");
        assert_eq!(field_value(&b, "id-0-qualifier").await?, "Vietcombank", "kept");
        let kept = field_value(&b, "narrative").await?;
        assert!(kept.starts_with("Họ nhắn tin qua Telegram"), "the narrative kept");
        assert!(kept.chars().count() > 10_000, "most of it: {}", kept.chars().count());
        assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "the form with errors fits a phone");
        let page = b.source().await?;
        assert!(page.contains("Vietcombank (VCB)"), "the bank shown back by name");

        // The citizen shortens the story and taps send twice.
        b.execute(
            "document.querySelector('[name=narrative]').value = 'Họ nhắn tin qua Telegram, bảo tôi làm nhiệm vụ rồi chuyển tiền vào tài khoản Vietcombank.';",
            vec![],
        )
        .await?;
        // Two taps on a slow line: the same form (its draft key, its fields in
        // document order, the token first) sent twice at once, as the
        // browser sends it; then the tap the citizen sees.
        let statuses = b
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   const f = document.querySelector('form.report-form');
                   const send = () => { const d = new FormData(f); d.append('send', '1');
                                        return fetch(f.action, { method: 'POST', body: d }); };
                   Promise.all([send(), send()]).then(rs => done(rs.map(r => r.status)));"#,
                vec![],
            )
            .await?;
        assert_eq!(statuses, serde_json::json!([200, 200]), "both end on the receipt");
        click_and_load(&b, Locator::Css("button[name=send]")).await?;
        wait_url(&b, |u| u.contains("/report/receipt/")).await?;
        let sends = requests
            .lock()
            .map(|l| l.iter().filter(|r| r.starts_with("POST /report/crime 303")).count())
            .unwrap_or(0);
        assert_eq!(sends, 3, "the server got every tap: {:?}", requests.lock().map(|l| l.clone()));
        let code = b.wait().for_element(Locator::Css("#tracking-code")).await?.text().await?;
        assert_eq!(code.len(), 15, "{code}");
        assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "the receipt fits a phone");
        // Reloaded (or opened from a bookmark): the same receipt. (This report
        // has a phone, so it has no secret; the web tests show an anonymous
        // report's secret only once.)
        let receipt = b.current_url().await?.to_string();
        b.refresh().await?;
        let again = b.wait().for_element(Locator::Css("#tracking-code")).await?.text().await?;
        assert_eq!(again, code);
        b.goto(&receipt).await?;
        assert_eq!(b.find(Locator::Css("#tracking-code")).await?.text().await?, code);

        // The citizen calls; the officer types the code as read out.
        sign_in(&b, &base, "truc@pa05.test.vn").await?;
        b.goto(&format!("{base}/intake")).await?;
        let spoken = code.replace('-', " ").to_lowercase();
        b.find(Locator::Css("input[name=q]")).await?.send_keys(&spoken).await?;
        click_and_load(&b, Locator::Css("form.filters button[type=submit]")).await?;
        click_and_load(&b, Locator::LinkText("Bị lừa làm nhiệm vụ trên mạng")).await?;
        b.wait().for_element(Locator::Css("form[action$='/case']")).await?;
        assert_eq!(too_wide(&b).await?, Vec::<String>::new(), "/intake/{{id}} fits a phone");
        // It reads as a report: sections, labels, banks by name, a total.
        let shown = b.find(Locator::Css("main")).await?.text().await?;
        for want in [
            "Người trình báo",
            "Lê Văn Cường",
            "Tiền đã chuyển",
            "Vietcombank (VCB) · 0011 0077 88990",
            "7.500.000",
            "Thông tin về đối tượng",
            "Cam kết",
        ] {
            assert!(shown.contains(want), "{want} in:\n{shown}");
        }
        for raw in ["category_id", "tx-0-to_bank", "id-0-qualifier"] {
            assert!(!shown.contains(raw), "{raw} is not shown as a field name");
        }
        // The form as stored, one click away.
        b.find(Locator::Css("details.as-stored summary")).await?.click().await?;
        let stored = b.find(Locator::Css("details.as-stored")).await?.text().await?;
        assert!(stored.contains("tx-0-to_bank"), "{stored}");
        Ok(())
    }
    .await;
    let _ = b.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    result.expect("browser flow");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submissions"),
        1,
        "one report for the double tap"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'submission_new'"),
        1,
        "one mail to the on-duty officer"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM identifiers WHERE value = 'VCB:0011007788990'"),
        1
    );
}

/// Two units in a browser: a commune police officer transfers a case to the
/// city's cyber division; its on-duty officer returns it with a reason; the
/// commune sends it again and the division accepts it, and then works it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_is_transferred_returned_and_accepted_between_two_units() {
    let db = TestDb::new();
    let qna = {
        let mut conn = db.conn();
        let input = cyberdesk::services::units::UnitInput {
            code: "CAP-HOAXUAN".into(),
            kind: "commune_police".into(),
            ref_prefix: "HX".into(),
            name_vi: "Công an phường Hòa Xuân".into(),
            active: true,
            ..Default::default()
        };
        cyberdesk::services::units::create(
            &mut conn,
            None,
            &cyberdesk::domain::RequestMeta::default(),
            &input,
        )
        .expect("unit")
        .id
    };
    let _ = qna;
    let commune = db.user_in("cb@hoaxuan.vn", "officer", PASSWORD, "CAP-HOAXUAN");
    db.exec(&format!(
        "UPDATE users SET team = 'Đội 1' WHERE id = {commune}"
    ));
    db.user_in("ld@hoaxuan.vn", "supervisor", PASSWORD, "CAP-HOAXUAN");
    let duty = db.user("truc@pa05.test.vn", "officer", PASSWORD);
    db.exec(&format!(
        "UPDATE users SET on_duty = true WHERE id = {duty}"
    ));
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    let b = browser(driver_port, &profile).await;
    let result: Result<(), fantoccini::error::CmdError> = async {
        // The commune officer logs a walk-in report and sends it on.
        sign_in(&b, &base, "cb@hoaxuan.vn").await?;
        create_case(
            &b,
            &base,
            &[
                ("title", "Lừa đảo qua Zalo, chuyển lên Phòng An ninh mạng"),
                ("reporter_name", "Phạm Văn Đức"),
                ("reporter_phone", "0905 111 222"),
                (
                    "description",
                    "Người dân đến trụ sở trình báo bị lừa chuyển tiền qua Zalo.",
                ),
            ],
        )
        .await?;
        wait_url(&b, |u| u.contains("/cases/HX-")).await?;
        let case_url = b.current_url().await?.to_string();
        let reference = case_url.rsplit('/').next().unwrap_or("").to_owned();
        b.find(Locator::Css("select[name=to_unit] option[value='PA05']"))
            .await?
            .click()
            .await?;
        b.find(Locator::Css("#transfer-note"))
            .await?
            .send_keys("Vượt thẩm quyền của Công an phường")
            .await?;
        click_and_load(&b, Locator::Css("form[action$='/transfer'] button")).await?;
        wait_url(&b, |u| u.contains("/transfers/")).await?;
        sign_out(&b).await?;

        // The division's on-duty officer returns it with a reason.
        sign_in(&b, &base, "truc@pa05.test.vn").await?;
        b.goto(&format!("{base}/intake")).await?;
        click_and_load(&b, Locator::LinkText(&reference)).await?;
        let page = b.find(Locator::Css("main")).await?.text().await?;
        assert!(page.contains("Người dân đến trụ sở trình báo"), "{page}");
        b.find(Locator::Css("#reason"))
            .await?
            .send_keys("Thiếu biên bản tiếp nhận")
            .await?;
        click_and_load(&b, Locator::Css("form[action$='/return'] button")).await?;
        wait_url(&b, |u| u.ends_with("/intake")).await?;
        sign_out(&b).await?;

        // The commune reads why, and sends it again.
        sign_in(&b, &base, "cb@hoaxuan.vn").await?;
        b.goto(&case_url).await?;
        let page = b.find(Locator::Css("#timeline")).await?.text().await?;
        assert!(page.contains("Thiếu biên bản tiếp nhận"), "{page}");
        b.find(Locator::Css("select[name=to_unit] option[value='PA05']"))
            .await?
            .click()
            .await?;
        click_and_load(&b, Locator::Css("form[action$='/transfer'] button")).await?;
        wait_url(&b, |u| u.contains("/transfers/")).await?;
        sign_out(&b).await?;

        // Accepted: the division now holds the case.
        sign_in(&b, &base, "truc@pa05.test.vn").await?;
        b.goto(&format!("{base}/intake")).await?;
        click_and_load(&b, Locator::LinkText(&reference)).await?;
        click_and_load(&b, Locator::Css("form[action$='/accept'] button")).await?;
        wait_url(&b, |u| u.contains(&format!("/cases/{reference}"))).await?;
        let h1 = b
            .wait()
            .for_element(Locator::Css("main h1"))
            .await?
            .text()
            .await?;
        assert_eq!(h1, "Lừa đảo qua Zalo, chuyển lên Phòng An ninh mạng");
        let timeline = b.find(Locator::Css("#timeline")).await?.text().await?;
        assert!(timeline.contains("Đã tiếp nhận"), "{timeline}");
        sign_out(&b).await?;

        // The commune keeps the summary only.
        sign_in(&b, &base, "cb@hoaxuan.vn").await?;
        b.goto(&case_url).await?;
        let h1 = b.find(Locator::Css("main h1")).await?.text().await?;
        assert!(
            !h1.contains("Lừa đảo qua Zalo"),
            "no longer the commune's: {h1}"
        );
        sign_out(&b).await?;

        // The commune's supervisor finds both sendings in the list of what
        // the unit sent, and narrows it to the one returned.
        sign_in(&b, &base, "ld@hoaxuan.vn").await?;
        b.goto(&format!("{base}/intake")).await?;
        click_and_load(&b, Locator::LinkText("Tất cả vụ việc đã chuyển đi")).await?;
        let total = b
            .find(Locator::Css("#transfers-total"))
            .await?
            .text()
            .await?;
        assert!(total.starts_with("2 vụ việc"), "{total}");
        b.find(Locator::Css("select[name=state] option[value='returned']"))
            .await?
            .click()
            .await?;
        click_and_load(&b, Locator::Css("form.filters button")).await?;
        let total = b
            .find(Locator::Css("#transfers-total"))
            .await?
            .text()
            .await?;
        assert!(total.starts_with("1 vụ việc"), "{total}");
        let table = b.find(Locator::Css("main table")).await?.text().await?;
        assert!(
            table.contains(&reference) && table.contains("Đã trả lại"),
            "{table}"
        );
        Ok(())
    }
    .await;
    let _ = b.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    result.expect("browser flow");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_transfers WHERE state = 'returned'"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases c JOIN units u ON u.id = c.unit_id WHERE u.code = 'PA05' AND c.ref LIKE 'HX-%'"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_file_renders_at_a4_width() {
    let db = TestDb::new();
    db.user("hung@pa05.test.vn", "supervisor", PASSWORD);
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    // 210 mm at 96 px per inch.
    let b = browser_sized(driver_port, &profile, "794,1123").await;
    let reference = format!("PA05-TG-{}-00001", this_year());
    let result: Result<(Vec<u8>, String), fantoccini::error::CmdError> = async {
        sign_in(&b, &base, "hung@pa05.test.vn").await?;
        create_case(
            &b,
            &base,
            &[
                ("reporter_name", "Trần Thị Bích"),
                ("title", "Bị lừa chuyển tiền đặt cọc mua hàng"),
                ("tx-0-amount", "2.500.000"),
            ],
        )
        .await?;
        wait_url(&b, |u| u.ends_with(&reference)).await?;
        b.goto(&format!("{base}/cases/{reference}/print")).await?;
        let text = b.find(Locator::Css("main.sheet")).await?.text().await?;
        Ok((b.screenshot().await?, text))
    }
    .await;
    let _ = b.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    let (png, text) = result.expect("browser flow");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(png.len() > 10_000, "a real page, {} bytes", png.len());
    assert!(text.contains(&reference), "{text}");
    assert!(text.contains("2.500.000 ₫"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_uploads_a_register_dry_runs_and_imports_it() {
    let db = TestDb::new();
    db.user("quantri@pa05.test.vn", "admin", PASSWORD);
    db.user("lanhdao@pa05.test.vn", "supervisor", PASSWORD);
    let dir = fresh_profile();
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("so-tiep-nhan-2024.csv");
    std::fs::write(
        &file,
        "Số hồ sơ cũ;Loại vụ việc;Ngày tiếp nhận;Tiêu đề;Số tài khoản nhận tiền;Ngân hàng nhận tiền\n\
         15/2024;Tố giác, tin báo về tội phạm;05/03/2024 09:00;Lừa đảo bán hàng qua Facebook;0123456789;Vietcombank\n\
         16/2024;Tố giác, tin báo về tội phạm;31/02/2024;Sai ngày;;\n",
    )
    .expect("register");
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    let b = browser(driver_port, &profile).await;
    let result: Result<(), fantoccini::error::CmdError> = async {
        sign_in(&b, &base, "quantri@pa05.test.vn").await?;
        click_and_load(&b, Locator::Css("nav a[href='/admin/import']")).await?;
        b.find(Locator::Css("input[type=file][name=file]"))
            .await?
            .send_keys(&file.to_string_lossy())
            .await?;
        b.find(Locator::Css("input[name=source]"))
            .await?
            .send_keys("Sổ tiếp nhận 2024")
            .await?;
        click_and_load(
            &b,
            Locator::Css("form[action='/admin/import'] button.primary"),
        )
        .await?;
        // The preview: the rows as they will be read, the bad date named.
        let preview = b.find(Locator::Css("main")).await?.text().await?;
        assert!(
            preview.contains("Lừa đảo bán hàng qua Facebook"),
            "{preview}"
        );
        assert!(preview.contains("không đọc được “31/02/2024”"), "{preview}");
        let upload_url = b.current_url().await?.to_string();
        click_and_load(&b, Locator::Css("form[action$='/dry-run'] button")).await?;
        let report = b.wait().for_element(Locator::Css("#report-title")).await?;
        let _ = report;
        let text = wait_text(&b, "1 tạo").await?;
        assert!(
            text.contains("Sẽ tạo") && text.contains("Không nhập"),
            "{text}"
        );
        b.goto(&upload_url).await?;
        click_and_load(&b, Locator::Css("form[action$='/run'] button.primary")).await?;
        let text = wait_text(&b, "1 tạo, 0 đã có, 0 khác, 1 lỗi").await?;
        assert!(text.contains("Tải các dòng lỗi"), "{text}");
        // A supervisor finds the imported case, overdue since 2024, and its
        // timeline says where it came from.
        sign_out(&b).await?;
        sign_in(&b, &base, "lanhdao@pa05.test.vn").await?;
        b.goto(&format!("{base}/cases?deadline=overdue")).await?;
        click_and_load(&b, Locator::LinkText("Lừa đảo bán hàng qua Facebook")).await?;
        let page = b.find(Locator::Css("main")).await?.text().await?;
        assert!(
            page.contains("Nhập từ Sổ tiếp nhận 2024, dòng 2 (số cũ 15/2024)"),
            "{page}"
        );
        Ok(())
    }
    .await;
    let _ = b.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_dir_all(&dir);
    result.expect("browser flow");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases c JOIN case_events e ON e.case_id = c.id WHERE e.kind = 'imported' AND c.received_at = '2024-03-05 09:00+07'"),
        1
    );
}

/// Waits (up to 20 s, the page refreshing itself) until `main` contains `needle`.
async fn wait_text(
    b: &fantoccini::Client,
    needle: &str,
) -> Result<String, fantoccini::error::CmdError> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(main) = b.find(Locator::Css("main")).await {
            if let Ok(text) = main.text().await {
                if text.contains(needle) {
                    return Ok(text);
                }
                assert!(Instant::now() < deadline, "no “{needle}” in {text}");
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The status line of a GET with a bearer token, over a plain socket.
fn api_status(base: &str, path: &str, token: &str) -> String {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_makes_an_api_token_uses_it_and_revokes_it() {
    let db = TestDb::new();
    db.user("dieutra@pa05.test.vn", "officer", PASSWORD);
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    let b = browser(driver_port, &profile).await;
    let result: Result<(), fantoccini::error::CmdError> = async {
        sign_in(&b, &base, "dieutra@pa05.test.vn").await?;
        b.goto(&format!("{base}/profile")).await?;
        click_and_load(&b, Locator::Css("a[href='/profile/tokens']")).await?;
        let empty = b.find(Locator::Css("main")).await?.text().await?;
        assert!(empty.contains("Chưa có mã nào"), "{empty}");
        // Forgetting the scope: the form says so and keeps the name.
        b.find(Locator::Css("input[name=name]"))
            .await?
            .send_keys("Công cụ đối soát")
            .await?;
        click_and_load(
            &b,
            Locator::Css("form[action='/profile/tokens'] button.primary"),
        )
        .await?;
        let refused = b.find(Locator::Css("main")).await?.text().await?;
        assert!(
            refused.contains("Hãy chọn ít nhất một phạm vi"),
            "{refused}"
        );
        b.find(Locator::Css("input[name=scopes][value='cases:read']"))
            .await?
            .click()
            .await?;
        click_and_load(
            &b,
            Locator::Css("form[action='/profile/tokens'] button.primary"),
        )
        .await?;
        let secret = b.find(Locator::Css("#new-token")).await?.text().await?;
        assert!(secret.starts_with("cdk_"), "{secret}");
        assert!(api_status(&base, "/api/v1/cases", &secret).contains(" 200 "));
        // Revoked from the list: refused from then on.
        click_and_load(&b, Locator::Css("form[action$='/revoke'] button")).await?;
        let after = b.find(Locator::Css("main")).await?.text().await?;
        assert!(after.contains("Đã thu hồi"), "{after}");
        assert!(!after.contains(&secret), "shown once");
        assert!(api_status(&base, "/api/v1/cases", &secret).contains(" 401 "));
        Ok(())
    }
    .await;
    let _ = b.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    result.expect("browser flow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_turns_on_the_second_factor_and_signs_in_with_a_code() {
    use cyberdesk::domain::second_factor::code_at;
    let db = TestDb::new();
    let id = db.user("hai@pa05.test.vn", "officer", PASSWORD);
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = fresh_profile();
    let b = browser(driver_port, &profile).await;
    let secret = || -> Vec<u8> {
        use cyberdesk::db::schema::users;
        use diesel::prelude::*;
        users::table
            .find(id)
            .select(users::totp_secret)
            .first::<Option<Vec<u8>>>(&mut db.conn())
            .expect("user")
            .expect("secret")
    };
    let now = || chrono::Utc::now().timestamp() as u64;
    let result: Result<(), fantoccini::error::CmdError> = async {
        sign_in(&b, &base, "hai@pa05.test.vn").await?;
        b.goto(&format!("{base}/profile")).await?;
        click_and_load(&b, Locator::Css("a[href='/profile/2fa']")).await?;
        let width = b
            .execute(
                "return document.querySelector('img.qr').naturalWidth",
                vec![],
            )
            .await?;
        assert!(width.as_u64().unwrap_or(0) > 0, "the QR code is drawn");
        let t = now();
        b.find(Locator::Css("form[action='/profile/2fa'] input[name=code]"))
            .await?
            .send_keys(&code_at(&secret(), t))
            .await?;
        click_and_load(
            &b,
            Locator::Css("form[action='/profile/2fa'] button.primary"),
        )
        .await?;
        let codes = b.find_all(Locator::Css("#recovery-codes li")).await?;
        assert_eq!(codes.len(), 10);
        click_and_load(&b, Locator::Css("a.button.primary[href='/']")).await?;
        sign_out(&b).await?;
        // The password, then the code.
        sign_in(&b, &base, "hai@pa05.test.vn").await?;
        wait_url(&b, |u| u.contains("/login/2fa")).await?;
        b.find(Locator::Css("input[name=code]"))
            .await?
            .send_keys("000000")
            .await?;
        click_and_load(&b, Locator::Css("form[action='/login/2fa'] button")).await?;
        let refused = b.find(Locator::Css("main")).await?.text().await?;
        assert!(refused.contains("Mã không đúng"), "{refused}");
        b.find(Locator::Css("input[name=code]"))
            .await?
            .send_keys(&code_at(&secret(), t + 30))
            .await?;
        click_and_load(&b, Locator::Css("form[action='/login/2fa'] button")).await?;
        wait_url(&b, |u| u.trim_end_matches('/') == base).await?;
        b.find(Locator::Css("nav a[href='/cases']")).await?;
        Ok(())
    }
    .await;
    let _ = b.close().await;
    server.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
    result.expect("browser flow");
}
