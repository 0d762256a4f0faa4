//! The JavaScript listeners of `client.on(topic, …)`, and calling them.
//!
//! The listeners live in JavaScript: per client, one array indexed by [`Topic`], holding for
//! each topic with listeners an array of `{listener}` entries (one per `on()` call, so that
//! removing one registration leaves another of the same function in place), and `undefined`
//! for a topic without any. An entry array is replaced, never changed, when a listener is added
//! or removed: a delivery takes the array as it stands (one handle), and a listener added or
//! removed by a callback takes effect from the next output on.

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::core::Output;

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// Calls the listener of each entry of `entries` with `value` in order; a listener that
    /// throws is logged to the console and the others still run.
    pub(crate) fn emit(entries: &JsValue, value: &JsValue);

    /// `client.on(name, listener)`: adds `listener` to `all` under the index of `name` in
    /// `["event", "failure", "state", "recovery", "turn"]` (the order of [`Topic`]) and returns the
    /// function that removes it again (a no-op the second time); throws a `TypeError` for
    /// another name or for a listener that is not a function.
    #[wasm_bindgen(catch)]
    pub(crate) fn on(all: &Array, name: &JsValue, listener: &JsValue) -> Result<JsValue, JsValue>;
}

/// The JavaScript output topics of `client.on(name, …)`, in the order of their index in the
/// listeners' array.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    Event,
    Failure,
    State,
    Recovery,
    Turn,
}

impl Topic {
    /// The topic an output is delivered on, if any.
    pub(crate) fn of(output: &Output) -> Option<Topic> {
        match output {
            Output::Event(_) => Some(Topic::Event),
            Output::Failure(_) => Some(Topic::Failure),
            Output::State(_) => Some(Topic::State),
            Output::Recovery(_) => Some(Topic::Recovery),
            Output::Turn(_) => Some(Topic::Turn),
            Output::Acked(_) | Output::Connect | Output::Disconnect { .. } => None,
        }
    }
}

/// The entries of `topic` in `all` as they stand now, if it has any listener.
pub(crate) fn of(all: &Array, topic: Topic) -> Option<JsValue> {
    let entries = all.get(topic as u32);
    (!entries.is_undefined()).then_some(entries)
}
