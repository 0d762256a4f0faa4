//! The clock, the one `setTimeout`, microtasks, and the wake-up listeners.
//!
//! Bound through the global scope (`performance.now`, `setTimeout`, `clearTimeout`,
//! `queueMicrotask`, `addEventListener`), so the driver also runs in a worker.

use alloc::rc::Weak;
use core::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::crash;
use super::driver::{self, Inner, Input, Sink};
use crate::core::Instant;

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// `performance.now()`, the `performance` object looked up once: reading the global's
    /// `performance` accessor on every call cost more than `now()` itself (Chromium).
    fn performance_now() -> f64;

    /// Adds (`add`) or removes `listener` for `visibilitychange` on the document, and for
    /// `focus`, `online`, `pageshow` and `pagehide` on the global scope (a window or a worker);
    /// a target that throws (there is no document in a worker) is skipped.
    fn wake_listeners(listener: &JsValue, add: bool);

    /// Whether the page event `event` hides the page: `pagehide`, or a `visibilitychange`
    /// to hidden.
    fn is_hiding(event: &JsValue) -> bool;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &JsValue, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask_js(task: &JsValue);
}

/// Runs `task` once on a microtask of its own: after the current JavaScript call stack, before
/// any timer or I/O callback. No Rust executor is involved.
pub(crate) fn queue_microtask(task: impl FnOnce() + 'static) {
    // The `Fn()` closure type the timer, the listeners and the transport use already (one
    // closure shim fewer than `Closure::once_into_js`); the JavaScript garbage collector frees
    // it.
    let task = Cell::new(Some(task));
    let callback = Closure::<dyn Fn()>::new(move || {
        if let Some(task) = task.take() {
            task();
        }
    });
    queue_microtask_js(&crash::guard(&callback.into_js_value()));
}

/// `performance.now()` as the core's [`Instant`] (whole milliseconds since the page's origin).
pub(crate) fn now() -> Instant {
    let ms = performance_now();
    // `performance.now()` is non-negative and finite; `as` saturates anything else.
    Instant::from_millis(ms as u64)
}

/// The longest delay `setTimeout` honours (larger values fire at once).
const MAX_DELAY_MS: u64 = 0x7fff_ffff;

/// The driver's single timer, re-armed only when the tracker's next deadline comes earlier.
pub(crate) struct Timer {
    /// Kept alive for `handler`, its guarded form (see `crash`), which `setTimeout` calls.
    _callback: Closure<dyn Fn()>,
    handler: JsValue,
    /// The deadline the pending `setTimeout` is for, and its handle.
    armed: Option<(Instant, JsValue)>,
}

impl Timer {
    pub(crate) fn new<S: Sink>(shared: Weak<core::cell::RefCell<Inner<S>>>) -> Self {
        let callback = Closure::<dyn Fn()>::new(move || {
            if let Some(shared) = shared.upgrade() {
                driver::input(&shared, Input::Timeout);
            }
        });
        let handler = crash::guard(callback.as_ref());
        Timer { _callback: callback, handler, armed: None }
    }

    /// Makes sure a timeout fires no later than `deadline`. A pending timeout that fires
    /// earlier is kept: the tracker's `handle_timeout` is a no-op when nothing is due, and the
    /// driver re-arms after it. Deadlines mostly move later (every frame pushes the next ping
    /// back), so this costs one `setTimeout` per deadline reached, not one per frame.
    pub(crate) fn arm(&mut self, deadline: Option<Instant>, now: Instant) {
        let Some(at) = deadline else { return };
        if self.armed.as_ref().is_some_and(|(armed_at, _)| *armed_at <= at) {
            return;
        }
        if let Some((_, handle)) = self.armed.take() {
            clear_timeout(&handle);
        }
        // One extra millisecond absorbs the rounding of `now` to whole milliseconds.
        let delay = at.since(now).saturating_add(1).min(MAX_DELAY_MS);
        let handle = set_timeout(&self.handler, delay as f64);
        self.armed = Some((at, handle));
    }

    /// The pending timeout fired: the next `arm` sets a new one whatever the deadline.
    pub(crate) fn fired(&mut self) {
        self.armed = None;
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let Some((_, handle)) = self.armed.take() {
            clear_timeout(&handle);
        }
    }
}

/// Page events after which timers may be far overdue (a background tab, a sleeping laptop, a
/// network change): `visibilitychange` on the document, `focus`, `online` and `pageshow` on the
/// global scope. Each makes the driver call `handle_timeout(now)`, which the core treats as a
/// wake when its deadlines are far overdue. A page being hidden (`visibilitychange` to hidden,
/// `pagehide`) makes it call `handle_page_hidden(now)` instead, which sends what telemetry
/// still waits. Listening stops when this is dropped.
pub(crate) struct WakeListeners {
    /// Kept alive for `listener`, its guarded form (see `crash`), which the page calls.
    _callback: Closure<dyn Fn(JsValue)>,
    listener: JsValue,
}

impl WakeListeners {
    pub(crate) fn attach<S: Sink>(shared: Weak<core::cell::RefCell<Inner<S>>>) -> Self {
        let callback = Closure::<dyn Fn(JsValue)>::new(move |event: JsValue| {
            if let Some(shared) = shared.upgrade() {
                driver::input(&shared, if is_hiding(&event) { Input::Hidden } else { Input::Wake });
            }
        });
        let listener = crash::guard(callback.as_ref());
        wake_listeners(&listener, true);
        WakeListeners { _callback: callback, listener }
    }
}

impl Drop for WakeListeners {
    fn drop(&mut self) {
        wake_listeners(&self.listener, false);
    }
}
