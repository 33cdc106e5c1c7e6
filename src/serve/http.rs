//! The HTTP side: the built site from memory, `/__coe/status` and `/__coe/events`.

use super::{Event, State, overlay};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/__coe/status", get(status))
        .route("/__coe/events", get(events))
        .fallback(site)
        .with_state(state)
}

async fn status(extract::State(state): extract::State<Arc<State>>) -> Response {
    let body = serde_json::to_string(&state.status()).unwrap_or_default();
    let mut resp = (StatusCode::OK, body).into_response();
    set(&mut resp, header::CONTENT_TYPE, "application/json");
    set(&mut resp, header::CACHE_CONTROL, "no-store");
    resp
}

async fn events(
    extract::State(state): extract::State<Arc<State>>,
) -> Sse<impl futures_util::Stream<Item = Result<sse::Event, Infallible>>> {
    let rx = state.events.subscribe();
    // First the generation being served, so a page that missed a reload catches up.
    let hello = sse::Event::default()
        .event("hello")
        .data(state.status().generation.to_string());
    let updates = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(Event::Reload(generation, pages)) => {
                    let data = serde_json::json!({ "generation": generation, "pages": pages });
                    let ev = sse::Event::default().event("reload").data(data.to_string());
                    return Some((Ok(ev), rx));
                }
                Ok(Event::Status(json)) => {
                    return Some((Ok(sse::Event::default().event("status").data(json)), rx));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let stream = futures_util::StreamExt::chain(futures_util::stream::iter([Ok(hello)]), updates);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn site(
    extract::State(state): extract::State<Arc<State>>,
    method: Method,
    uri: Uri,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n").into_response();
        set(&mut r, header::ALLOW, "GET, HEAD");
        return r;
    }
    let raw = uri.path();
    let rel = match site_path(raw) {
        Ok(rel) => rel,
        Err(code) => return plain(code, "bad request path\n"),
    };
    let (code, rel, bytes) = if let Some(b) = state.file(&rel) {
        (StatusCode::OK, rel, b)
    } else if !rel.ends_with("index.html") && state.file(&format!("{rel}/index.html")).is_some() {
        // A folder without its slash: relative links need it.
        let mut to = format!("{raw}/");
        if let Some(q) = uri.query() {
            to.push('?');
            to.push_str(q);
        }
        let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
        if let Ok(v) = HeaderValue::from_str(&to) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    } else if let Some(b) = state.file("404.html") {
        (StatusCode::NOT_FOUND, "404.html".to_owned(), b)
    } else if state.status().ok || state.status().errors.is_empty() {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    } else {
        // No good build yet: the errors, on a page of their own.
        let page = b"<!doctype html><meta charset=\"utf-8\"><title>coe serve: errors</title><body><h1>The library has errors</h1></body>";
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "errors.html".to_owned(),
            Bytes::from_static(page),
        )
    };
    let kind = content_type(&rel);
    let body = if kind.starts_with("text/html") {
        Bytes::from(overlay::inject(&bytes, &state.status()))
    } else {
        bytes
    };
    let len = body.len();
    let mut resp = if method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    *resp.status_mut() = code;
    set(&mut resp, header::CONTENT_TYPE, kind);
    set(&mut resp, header::CACHE_CONTROL, "no-store");
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        resp.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    resp
}

fn plain(code: StatusCode, text: &'static str) -> Response {
    let mut r = (code, text).into_response();
    set(&mut r, header::CONTENT_TYPE, "text/plain; charset=utf-8");
    r
}

fn set(resp: &mut Response, name: header::HeaderName, value: &'static str) {
    resp.headers_mut()
        .insert(name, HeaderValue::from_static(value));
}

/// The site file a URL path names (`coe/x/` → `coe/x/index.html`), or 400 for a path that
/// is not one: bad percent-encoding, `..` or `.` segments (encoded or not), backslashes,
/// NUL bytes.
pub fn site_path(raw: &str) -> Result<String, StatusCode> {
    let decoded = percent_decode(raw).ok_or(StatusCode::BAD_REQUEST)?;
    if !decoded.starts_with('/') || decoded.contains(['\\', '\0']) {
        return Err(StatusCode::BAD_REQUEST);
    }
    let mut parts = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" => {}
            "." | ".." => return Err(StatusCode::BAD_REQUEST),
            s => parts.push(s),
        }
    }
    let mut rel = parts.join("/");
    if rel.is_empty() {
        rel = "index.html".to_owned();
    } else if decoded.ends_with('/') {
        rel.push_str("/index.html");
    }
    Ok(rel)
}

/// The decoded path, or `None` when a `%` is not followed by two hex digits or the bytes are
/// not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|d| d.into_owned())
}

pub fn content_type(rel: &str) -> &'static str {
    let ext = rel
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(site_path("/").as_deref(), Ok("index.html"));
        assert_eq!(site_path("/coe/x/").as_deref(), Ok("coe/x/index.html"));
        assert_eq!(site_path("/style.css").as_deref(), Ok("style.css"));
        assert_eq!(
            site_path("/tags/a%20b/").as_deref(),
            Ok("tags/a b/index.html")
        );
        for bad in [
            "/../etc/passwd",
            "/coe/../../x",
            "/%2e%2e/x",
            "/%2E%2E%2Fetc",
            "/a\\..\\b",
            "/a%5c..%5cb",
            "/%zz",
            "/%00",
            "/./x",
            "/%c0%ae%c0%ae/x",
        ] {
            assert_eq!(site_path(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("search/t/1.bin"), "application/octet-stream");
        assert_eq!(content_type("atom.xml"), "application/xml; charset=utf-8");
    }
}
