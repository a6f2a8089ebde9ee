//! HTTP as a browser sends it, over a plain socket, for the tests that run
//! the server as a process (several instances, a replica): cookies kept, one
//! connection per request.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A browser's worth of HTTP: cookies kept, one connection per request.
#[derive(Default, Clone)]
pub struct Jar(pub BTreeMap<String, String>);

pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

pub fn http(port: u16, jar: &mut Jar, method: &str, path: &str, form: &[(&str, &str)]) -> Reply {
    http_with(port, jar, method, path, form, &[])
}

/// The same with extra request headers.
pub fn http_with(
    port: u16,
    jar: &mut Jar,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let body = serde_urlencoded::to_string(form).expect("form");
    let cookies: Vec<String> = jar.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept-Language: vi\r\n"
    );
    if !cookies.is_empty() {
        req.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for line in head.lines() {
        if let Some(v) = line
            .strip_prefix("set-cookie: ")
            .or_else(|| line.strip_prefix("Set-Cookie: "))
        {
            if let Some((k, v)) = v.split(';').next().and_then(|kv| kv.split_once('=')) {
                if v.is_empty() {
                    jar.0.remove(k);
                } else {
                    jar.0.insert(k.to_owned(), v.to_owned());
                }
            }
        }
    }
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Reply {
        status,
        headers: head.to_owned(),
        body: if chunked {
            dechunk(rest)
        } else {
            rest.to_owned()
        },
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn csrf_of(body: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = body[start..].find('"').expect("token end") + start;
    body[start..end].to_owned()
}

/// GETs `page` for its form token, then POSTs `form` with it to `to`.
pub fn submit(port: u16, jar: &mut Jar, page: &str, to: &str, form: &[(&str, &str)]) -> Reply {
    let token = csrf_of(&http(port, jar, "GET", page, &[]).body);
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(form);
    http(port, jar, "POST", to, &all)
}

pub fn sign_in(port: u16, jar: &mut Jar, email: &str, password: &str) {
    let res = submit(
        port,
        jar,
        "/login",
        "/login",
        &[("email", email), ("password", password)],
    );
    assert_eq!(res.status, 303, "sign-in: {}", res.headers);
}

/// Waits (a minute at most) until the server on `port` answers `/healthz`.
pub fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, &mut Jar::default(), "GET", "/healthz", &[]).status == 200
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the instance on port {port} did not become healthy");
}

/// Debian's nginx in the foreground with `site` (a server block file, as
/// docs/nginx/ shows) in its http block, everything it writes under `dir`.
/// `None` when nginx is not installed.
pub fn nginx(dir: &std::path::Path, site: &str) -> Option<super::KillOnDrop> {
    use std::process::{Command, Stdio};
    let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    std::fs::write(dir.join("site.conf"), site).expect("site");
    let d = dir.display();
    let main = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         include {d}/site.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).expect("nginx.conf");
    let child = Command::new(bin)
        .args(["-c", &format!("{d}/nginx.conf"), "-p", &d.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn nginx");
    Some(super::KillOnDrop(child))
}
