//! The JavaScript listeners of `client.on(topic, …)`, `once` and `off`, and calling them.
//!
//! The listeners live in JavaScript: per client, one array indexed by [`Topic`], holding for
//! each topic with listeners an array of `{listener, once}` entries (one per `on()` call, so
//! that removing one registration leaves another of the same function in place), and
//! `undefined` for a topic without any. An entry array is replaced, never changed, when a
//! listener is added or removed: a delivery takes the array as it stands (one handle), and a
//! listener added or removed by a callback takes effect from the next output on.

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::bytes;
use super::error::argument_error;
use crate::core::options::TOPICS;
use crate::core::Output;

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// Calls the listener of each entry of `entries` (the entries of `topic` in `all`) with
    /// `value` in order, removing a `once` entry before its call; a listener that throws is
    /// logged to the console and the others still run.
    pub(crate) fn emit(all: &Array, topic: u32, entries: &JsValue, value: &JsValue);

    /// Adds `listener` to `all` under `topic`, called once only if `once`; returns the function
    /// that removes it again (a no-op the second time).
    fn add_listener(all: &Array, topic: u32, listener: &JsValue, once: bool) -> JsValue;

    /// Removes every registration of `listener` under `topic` in `all`; every listener of the
    /// topic if `listener` is `undefined`.
    fn remove_listeners(all: &Array, topic: u32, listener: &JsValue);
}

/// The JavaScript output topics of `client.on(name, …)`, in the order of [`TOPICS`] (their
/// names) and of their index in the listeners' array.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    Event,
    Failure,
    State,
    Recovery,
    Turn,
}

impl Topic {
    const ALL: [Topic; 5] = [Topic::Event, Topic::Failure, Topic::State, Topic::Recovery, Topic::Turn];

    /// The topic an output is delivered on, if any.
    pub(crate) fn of(output: &Output) -> Option<Topic> {
        match output {
            Output::Event(_) => Some(Topic::Event),
            Output::Failure(_) => Some(Topic::Failure),
            Output::State(_) => Some(Topic::State),
            Output::Recovery(_) => Some(Topic::Recovery),
            Output::Turn(_) => Some(Topic::Turn),
            Output::Acked(_) | Output::Connected(_) => None,
        }
    }

    /// The topic named `name` (one of [`TOPICS`]), else the `TypeError` of `method()`.
    fn named(name: &JsValue, method: &str) -> Result<Topic, JsValue> {
        let index = bytes::to_string(name).and_then(|name| TOPICS.iter().position(|t| *t == name));
        index.and_then(|i| Self::ALL.get(i).copied()).ok_or_else(|| {
            let mut text = bytes::joined(method, "() takes ");
            for (i, topic) in TOPICS.iter().enumerate() {
                text.push_str(if i == 0 {
                    "\""
                } else if i + 1 == TOPICS.len() {
                    " or \""
                } else {
                    ", \""
                });
                text.push_str(topic);
                text.push('"');
            }
            argument_error(&text)
        })
    }
}

/// `client.on(name, listener)` (`once`: `client.once`): adds `listener` and returns the
/// function that removes it; a `TypeError` for an unknown name or a listener that is not a
/// function.
pub(crate) fn on(all: &Array, name: &JsValue, listener: &JsValue, once: bool) -> Result<JsValue, JsValue> {
    let topic = Topic::named(name, if once { "once" } else { "on" })?;
    if !listener.is_function() {
        return Err(argument_error("the listener must be a function"));
    }
    Ok(add_listener(all, topic as u32, listener, once))
}

/// `client.off(name, listener?)`: removes every registration of `listener` (every listener
/// of the topic without one); a `TypeError` for an unknown name.
pub(crate) fn off(all: &Array, name: &JsValue, listener: &JsValue) -> Result<(), JsValue> {
    let topic = Topic::named(name, "off")?;
    remove_listeners(all, topic as u32, listener);
    Ok(())
}

/// The entries of `topic` in `all` as they stand now, if it has any listener.
pub(crate) fn of(all: &Array, topic: Topic) -> Option<JsValue> {
    let entries = all.get(topic as u32);
    (!entries.is_undefined()).then_some(entries)
}
