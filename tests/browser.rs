//! End to end in a real headless Chromium (Debian `chromium` + `chromium-driver`):
//! sign in, see the dashboard, switch language, sign out.

mod common;

use std::{
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use actix_web::{web, App, HttpServer};
use common::{TestDb, PASSWORD};
use fantoccini::{ClientBuilder, Locator};

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts the real server (same `configure` as `main`) on a free port.
fn start_server(db: &TestDb) -> (String, actix_web::dev::ServerHandle) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cfg = db.config();
    cfg.public_base_url = base.clone();
    let state = web::Data::new(cyberdesk::AppState::new(cfg));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
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
    (base, handle)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_see_dashboard_switch_language_sign_out() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "supervisor", PASSWORD);
    let (base, server) = start_server(&db);
    let (_driver, driver_port) = start_chromedriver();
    let profile = std::env::temp_dir().join(format!(
        "cyberdesk-chrome-{}",
        cyberdesk::auth::random_alnum(8)
    ));
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--lang=vi-VN", format!("--user-data-dir={}", profile.display())
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("literal object"),
    };
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("WebDriver session");

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
        browser
            .find(Locator::Css("form[action='/login'] button[type=submit]"))
            .await?
            .click()
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

        browser
            .find(Locator::Css("form.lang-switch button[value=en]"))
            .await?
            .click()
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

        browser
            .find(Locator::Css("form[action='/logout'] button"))
            .await?
            .click()
            .await?;
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
