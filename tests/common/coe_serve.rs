//! `coe serve` driven from tests: the real binary on a free port, plain HTTP/1.1 over TcpStream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `coe serve`, killed when dropped.
pub struct Serve {
    pub child: Child,
    pub port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(root: &Path, extra: &[&str]) -> Serve {
    serve_with_env(root, extra, &[])
}

pub fn serve_with_env(root: &Path, extra: &[&str], env: &[(&str, &str)]) -> Serve {
    let port: &[&str] = if extra.contains(&"--port") {
        &[]
    } else {
        &["--port", "0"]
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_coe"))
        .arg("serve")
        .args(port)
        .arg("--root")
        .arg(root)
        .args(extra)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start coe serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut server = Serve { child, port: 0 };
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("coe serve prints its URL");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    assert!(line.contains("http://127.0.0.1:"), "{line}");
    server.port = port;
    server
}

pub struct Resp {
    pub status: u16,
    pub head: String,
    pub body: String,
    pub bytes: Vec<u8>,
}

/// One request, `path` sent exactly as given.
pub fn request(port: u16, method: &str, path: &str) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let bytes = raw.get(split + 4..).unwrap_or_default().to_vec();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Resp {
        status,
        head: head.to_ascii_lowercase(),
        body,
        bytes,
    }
}

pub fn get(port: u16, path: &str) -> Resp {
    request(port, "GET", path)
}

/// Polls until `f` holds (20 s at most).
pub fn until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn status(port: u16) -> serde_json::Value {
    serde_json::from_str(&get(port, "/__coe/status").body).expect("status JSON")
}
