//! HTTP routes: static files, `/debug/connections`, and the `/ws` upgrade.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, Request, State};
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::services::ServeDir;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::conn::{self, Registries};
use crate::delivery::Ledgers;
use crate::frames::Echo;
use crate::otlp::{self, Receiver, Signal};
use crate::params::Params;
use crate::peers;
use crate::scenario::Scenario;
use crate::session::Registry;

/// How many connections `/debug/connections` remembers.
const DEBUG_HISTORY: usize = 200;

/// Subprotocol prefixes that carry a token (the token itself is never logged).
const TOKEN_PREFIXES: [&str; 3] = ["jwt.", "jwt-auth.", "bearer."];

/// The longest reason a WebSocket close frame carries (RFC 6455, 5.5: 125 bytes of payload).
const MAX_CLOSE_REASON: usize = 123;

/// State shared by every request.
struct App {
    registry: Arc<Registry>,
    /// What each connection (netra with `confirm=1`) or session (sequenced) sent and had
    /// confirmed, for `/debug/delivery`.
    ledgers: Arc<Ledgers>,
    /// The OTLP receiver (`/v1/logs`, `/v1/metrics`, `/flaky/v1/…`, `/debug/otlp`).
    otlp: Receiver,
    next_conn: AtomicU64,
    /// The last [`DEBUG_HISTORY`] connections, oldest first.
    history: Mutex<VecDeque<Value>>,
    /// Distinguishes this process's session ids from another run's.
    nonce: u64,
}

/// The router: `DIR/www` at `/`, `DIR/pkg` at `/pkg/`, `DIR/tests/js` at `/tests/js/`, the
/// benchmark's pages `DIR/tests/bench` at `/tests/bench/`,
/// `/debug/connections`, `/ws`, and the bench's peer endpoints under `/peers/` ([`peers`]).
pub fn router(root: &Path, nonce: u64) -> Router {
    let app = Arc::new(App {
        registry: Arc::new(Registry::default()),
        ledgers: Arc::new(Ledgers::default()),
        otlp: Receiver::default(),
        next_conn: AtomicU64::new(1),
        history: Mutex::new(VecDeque::new()),
        nonce,
    });
    let router = Router::new().route("/ws", any(upgrade));
    peers::routes(router, root)
        .route("/debug/connections", get(connections))
        .route("/debug/delivery", get(delivery))
        .route("/debug/otlp", get(otlp_exports))
        .route("/v1/logs", post(logs).options(cors))
        .route("/v1/metrics", post(metrics).options(cors))
        .route("/flaky/v1/logs", post(flaky_logs).options(cors))
        .route("/flaky/v1/metrics", post(flaky_metrics).options(cors))
        .nest_service("/pkg", ServeDir::new(root.join("pkg")))
        .nest_service("/tests/js", ServeDir::new(root.join("tests").join("js")))
        .nest_service("/tests/bench", ServeDir::new(root.join("tests").join("bench")))
        .fallback_service(ServeDir::new(root.join("www")))
        .layer(middleware::from_fn(content_type))
        .with_state(app)
}

/// `GET /debug/connections`: `[{id, path_and_query, subprotocols, dialect, scenario}]`.
/// Readable cross-origin: wasm-bindgen-test-runner serves its test page from another origin.
async fn connections(State(app): State<Arc<App>>) -> impl IntoResponse {
    let history = app.history.lock().unwrap_or_else(|p| p.into_inner());
    let list: Vec<Value> = history.iter().cloned().collect();
    ([(ACCESS_CONTROL_ALLOW_ORIGIN, "*")], Json(list))
}

/// `GET /debug/delivery`: per connection (netra with `confirm=1`) or sequenced session, the
/// events the server sent or threw away and which the client confirmed (see `delivery`).
/// Readable cross-origin, as `/debug/connections`.
async fn delivery(State(app): State<Arc<App>>) -> impl IntoResponse {
    ([(ACCESS_CONTROL_ALLOW_ORIGIN, "*")], Json(app.ledgers.json()))
}

/// `GET /debug/otlp`: the OTLP exports received (see `otlp`).
async fn otlp_exports(State(app): State<Arc<App>>) -> impl IntoResponse {
    ([(ACCESS_CONTROL_ALLOW_ORIGIN, "*")], Json(app.otlp.json()))
}

async fn logs(State(app): State<Arc<App>>, body: String) -> Response {
    app.otlp.post(Signal::Logs, "/v1/logs", false, body)
}

async fn metrics(State(app): State<Arc<App>>, body: String) -> Response {
    app.otlp.post(Signal::Metrics, "/v1/metrics", false, body)
}

async fn flaky_logs(State(app): State<Arc<App>>, body: String) -> Response {
    app.otlp.post(Signal::Logs, "/flaky/v1/logs", true, body)
}

async fn flaky_metrics(State(app): State<Arc<App>>, body: String) -> Response {
    app.otlp.post(Signal::Metrics, "/flaky/v1/metrics", true, body)
}

async fn cors(headers: HeaderMap) -> Response {
    otlp::preflight(&headers)
}

/// `/ws`: validates the query (400 naming the bad parameter), answers the subprotocol
/// `jwt-auth` when offered, records the connection and serves it.
async fn upgrade(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    upgrade: WebSocketUpgrade,
) -> Response {
    let mut params = match Params::parse(&query) {
        Ok(params) => params,
        Err(err) => return (StatusCode::BAD_REQUEST, err).into_response(),
    };
    let offered: Vec<String> =
        upgrade.requested_protocols().filter_map(|p| p.to_str().ok()).map(str::to_owned).collect();
    let token = offered.iter().any(|p| TOKEN_PREFIXES.iter().any(|prefix| p.starts_with(prefix)));
    if params.scenario == Scenario::EchoToken {
        params.token = offered.iter().find_map(|p| echo_of(p));
        let raw = params.token.as_ref().map_or("", |echo| echo.raw.as_str());
        params.close_reason = close_reason(&format!("token {raw} rejected"));
    }
    if params.scenario == Scenario::CleanupClose {
        params.close_code = CLEANUP_CLOSE_CODE;
        CLEANUP_CLOSE_REASON.clone_into(&mut params.close_reason);
    }
    let params = Arc::new(params);
    let id = app.next_conn.fetch_add(1, Ordering::Relaxed);
    {
        let mut history = app.history.lock().unwrap_or_else(|p| p.into_inner());
        history.push_back(json!({
            "id": id,
            "path_and_query": uri.path_and_query().map_or(uri.path(), |pq| pq.as_str()),
            "subprotocols": offered,
            "dialect": params.dialect.name(),
            "scenario": params.scenario.to_string(),
        }));
        while history.len() > DEBUG_HISTORY {
            history.pop_front();
        }
    }
    eprintln!(
        "conn {id}: open dialect={} scenario={} seed={} token={}",
        params.dialect.name(),
        params.scenario,
        params.seed,
        if token { "present" } else { "absent" }
    );
    if params.scenario == Scenario::Upgrade500 {
        eprintln!("conn {id}: fault upgrade_500: upgrade refused with HTTP 500");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    // echo_protocol: the later Netra builds accept the client's own `jwt.<token>` subprotocol.
    let accepted = match params.scenario {
        Scenario::EchoProtocol => offered.iter().find(|p| p.starts_with("jwt.")).cloned(),
        _ => None,
    }
    .unwrap_or_else(|| "jwt-auth".to_owned());
    let registries = Registries {
        sessions: Arc::clone(&app.registry),
        ledgers: Arc::clone(&app.ledgers),
        meta: json!({
            "conn": id,
            "path_and_query": uri.path_and_query().map_or(uri.path(), |pq| pq.as_str()),
            "dialect": params.dialect.name(),
            "scenario": params.scenario.to_string(),
        }),
    };
    let session_id = format!("s-{:x}-{id}", app.nonce);
    let nonce = app.nonce;
    upgrade
        .protocols([accepted])
        .on_upgrade(move |socket| conn::serve(socket, id, nonce, params, registries, session_id))
}

/// `cleanup_close`: the close the deployed backend sends when its receive loop dies.
const CLEANUP_CLOSE_CODE: u16 = 1000;
const CLEANUP_CLOSE_REASON: &str = "main cleanup";

/// The token carried by a `jwt.<base64url(token)>` subprotocol, if `protocol` is one.
fn echo_of(protocol: &str) -> Option<Echo> {
    let encoded = protocol.strip_prefix("jwt.")?;
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
    Some(Echo { raw, encoded: encoded.to_owned() })
}

/// `reason` cut to what a close frame carries (123 bytes), on a character boundary.
fn close_reason(reason: &str) -> String {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason.get(..end).unwrap_or_default().to_owned()
}

/// Sets the exact MIME type for the file types the SDK needs (`.mjs` and `.wasm` in
/// particular) on successful responses.
async fn content_type(request: Request, next: Next) -> Response {
    let mime = Path::new(request.uri().path()).extension().and_then(|e| e.to_str()).and_then(mime_for);
    let mut response = next.run(request).await;
    if let (Some(mime), true) = (mime, response.status().is_success()) {
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(mime));
    }
    response
}

fn mime_for(extension: &str) -> Option<&'static str> {
    Some(match extension {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript",
        "html" => "text/html; charset=utf-8",
        "css" => "text/css",
        "json" => "application/json",
        "map" => "application/json",
        _ => return None,
    })
}
