//! `coe serve`: the site from memory, rebuilt when a file changes, browsers reloaded by
//! server-sent events, build errors shown over the last good build.
//!
//! One builder thread owns the pipeline (load → library → index → render into memory) and
//! runs one build at a time, always on the latest state of the files; the HTTP side only reads
//! the last good site and the status.

mod builder;
mod http;
mod idle;
mod overlay;
mod watch;

use crate::diag::Diagnostic;
use axum::body::Bytes;
use serde::Serialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0: any free port.
    pub port: u16,
    pub drafts: bool,
    pub open: bool,
}

/// What `/__coe/status` answers, and what the overlay shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// Counts successful builds: a page served at generation n reloads when it changes.
    pub generation: u64,
    /// The last build succeeded: what is served is the current state of the files.
    pub ok: bool,
    pub errors: Vec<Diagnostic>,
    pub warnings: usize,
    /// How the last build went: "full" or "incremental", and how long it took.
    pub kind: &'static str,
    pub millis: u64,
    /// An incremental build serves the edited COE's page and lists first, then re-renders
    /// the other pages that show it: how long that took.
    pub followup_millis: u64,
    /// Every page of this generation is rendered (false between the two steps of an
    /// incremental build).
    pub complete: bool,
    /// The search index and files and every COE's similar COEs are those of the files being
    /// served: after an incremental build they catch up once no change is waiting.
    pub caught_up: bool,
    /// From the start of the last incremental build until everything caught up (0 while not).
    pub catchup_millis: u64,
    pub coes: usize,
    /// Draft and in-review COEs not served (`--drafts` serves them).
    pub drafts_skipped: usize,
}

/// Sent to every open page over `/__coe/events`.
#[derive(Debug, Clone)]
pub enum Event {
    /// A new good build (its generation): reload, or only the pages listed (output paths
    /// like `coe/x/index.html`) after an incremental build.
    Reload(u64, Option<Vec<String>>),
    /// A build failed: show the errors (JSON of `Status`).
    Status(String),
}

/// What the HTTP side reads and the builder writes.
pub struct State {
    pub files: RwLock<HashMap<String, Bytes>>,
    pub status: RwLock<Status>,
    pub events: tokio::sync::broadcast::Sender<Event>,
}

impl State {
    fn new() -> State {
        State {
            files: RwLock::new(HashMap::new()),
            status: RwLock::new(Status::default()),
            events: tokio::sync::broadcast::channel(64).0,
        }
    }

    pub fn status(&self) -> Status {
        self.status.read().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn file(&self, rel: &str) -> Option<Bytes> {
        self.files.read().ok()?.get(rel).cloned()
    }
}

/// Runs the server until the process is stopped.
pub fn run(opts: ServeOptions) -> anyhow::Result<()> {
    if !opts.root.join("content").is_dir() {
        anyhow::bail!(
            "no content folder in {}: expected COE Markdown files under content/ (use --root)",
            opts.root.display()
        );
    }
    let state = Arc::new(State::new());
    // Watch first, so nothing saved during the first build is missed.
    let (changes, watcher) = watch::start(&opts.root)?;
    let mut builder = builder::Builder::new(opts.root.clone(), opts.drafts, state.clone());
    builder.full();
    let status = state.status();
    if status.ok {
        let drafts = match status.drafts_skipped {
            0 => String::new(),
            1 => "; 1 draft or in-review COE not shown (--drafts shows it)".to_owned(),
            n => format!("; {n} draft or in-review COEs not shown (--drafts shows them)"),
        };
        crate::errln!(
            "built {} COE{} in {} ms{drafts}",
            status.coes,
            if status.coes == 1 { "" } else { "s" },
            status.millis
        );
    } else {
        for e in &status.errors {
            crate::errln!("{e}");
        }
        crate::errln!("the library has errors: serving them until they are fixed");
    }
    std::thread::Builder::new()
        .name("coe-builder".into())
        .spawn(move || builder.run(changes, watcher))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = bind(opts.bind, opts.port).await?;
        let addr = listener.local_addr()?;
        let url = url_of(addr);
        crate::outln!("Serving {} at {url}", opts.root.display());
        use std::io::Write;
        let _ = std::io::stdout().flush();
        if opts.open {
            open_browser(&url);
        }
        let listener = idle::IdleListener {
            listener,
            idle: idle_time(),
        };
        axum::serve(listener, http::router(state)).await?;
        Ok(())
    })
}

/// How long a silent connection stays open: [`idle::IDLE`], or `COE_TEST_IDLE_MS` (tests).
fn idle_time() -> std::time::Duration {
    std::env::var("COE_TEST_IDLE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(idle::IDLE, std::time::Duration::from_millis)
}

fn url_of(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("http://[{ip}]:{}/", addr.port()),
        IpAddr::V4(ip) if ip.is_unspecified() => format!("http://127.0.0.1:{}/", addr.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}/", addr.port()),
    }
}

/// The port asked for, or the next free one (port 0: any free port).
async fn bind(ip: IpAddr, port: u16) -> anyhow::Result<tokio::net::TcpListener> {
    let tries = if port == 0 { 1 } else { 100 };
    let mut last = None;
    for p in (0..tries).map_while(|n| port.checked_add(n)) {
        match tokio::net::TcpListener::bind(SocketAddr::new(ip, p)).await {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(anyhow::anyhow!("cannot listen on {ip}:{p}: {e}")),
        }
    }
    Err(anyhow::anyhow!(
        "no free port from {port} on {ip}: {}",
        last.map_or_else(String::new, |e| e.to_string())
    ))
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        crate::errln!("cannot open a browser ({cmd}: {e}); open {url}");
    }
}
