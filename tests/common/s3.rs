//! A real S3-compatible server for the storage tests: moto's server mode
//! (`pip install 'moto[server]'`, as `.ci/run` does), one per test, on a free
//! port, with one bucket.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, KillOnDrop};

pub struct S3Server {
    _proc: KillOnDrop,
    pub endpoint: String,
    pub bucket: String,
    port: u16,
}

impl S3Server {
    pub fn start() -> S3Server {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server not found: pip install 'moto[server]' (.ci/run does)");
        let proc = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let s = S3Server {
            _proc: proc,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "cyberdesk-evidence".into(),
            port,
        };
        let status = s.raw("PUT", "/cyberdesk-evidence", b"").0;
        assert_eq!(status, 200, "create bucket");
        s
    }

    pub fn config(&self) -> cyberdesk::config::S3Config {
        cyberdesk::config::S3Config {
            bucket: self.bucket.clone(),
            endpoint: self.endpoint.clone(),
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
        }
    }

    /// One unsigned HTTP/1.1 request (moto accepts them): status and body.
    pub fn raw(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        s.write_all(head.as_bytes()).expect("write");
        s.write_all(body).expect("write");
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("read");
        let text = String::from_utf8_lossy(&out);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| out[i + 4..].to_vec())
            .unwrap_or_default();
        (status, body)
    }

    /// The stored object `evidence/{id}`, if any.
    pub fn object(&self, storage_id: &str) -> Option<Vec<u8>> {
        let (status, body) = self.raw(
            "GET",
            &format!("/{}/evidence/{storage_id}", self.bucket),
            b"",
        );
        (status == 200).then_some(body)
    }
}
