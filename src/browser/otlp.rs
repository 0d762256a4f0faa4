//! The OTLP exports' way out: each [`Export`] the core hands over is POSTed with `fetch` to
//! the `telemetry` option's endpoint plus the signal's path, and its answer goes back to the
//! core. The core decides what, when and whether again; this only carries.

use alloc::rc::Weak;
use core::cell::RefCell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::crash;
use super::driver::{self, Inner, Input, Sink};
use super::options::CollectorTarget;
use crate::core::Export;

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// `fetch(url, {method: "POST", headers, body, keepalive})`, then `done(id, status,
    /// retryAfterMs)`: the HTTP status (0 when the request failed) and the `Retry-After`
    /// header in ms, when the response has one the page may read.
    fn otlp_post(url: &str, headers: &JsValue, body: &str, keepalive: bool, id: f64, done: &JsValue);
}

/// Where a client's exports go, and the callback their answers come back through.
pub(crate) struct Collector {
    target: CollectorTarget,
    /// Kept alive for `done`, its guarded form (see `crash`), which `fetch` settles into.
    _callback: Closure<dyn Fn(f64, f64, JsValue)>,
    done: JsValue,
}

impl Collector {
    pub(crate) fn new<S: Sink>(target: CollectorTarget, shared: Weak<RefCell<Inner<S>>>) -> Self {
        let callback = Closure::<dyn Fn(f64, f64, JsValue)>::new(move |id: f64, status: f64, retry_after: JsValue| {
            if let Some(shared) = shared.upgrade() {
                let retry_after_ms = retry_after.as_f64().map(|ms| ms as u64);
                driver::input(&shared, Input::Exported { id: id as u64, status: status as u16, retry_after_ms });
            }
        });
        let done = crash::guard(callback.as_ref());
        Collector { target, _callback: callback, done }
    }

    /// POSTs `export` to the endpoint.
    pub(crate) fn post(&self, export: &Export) {
        let url = super::bytes::joined(&self.target.endpoint, export.signal.path());
        otlp_post(&url, &self.target.headers, &export.body, export.keepalive, export.id as f64, &self.done);
    }
}
