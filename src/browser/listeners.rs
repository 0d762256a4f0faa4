//! The JavaScript listeners of `client.on(topic, …)`, and calling them.
//!
//! Each topic's listeners are kept as a JavaScript array that is replaced, never changed, when
//! a listener is added or removed: a delivery takes the array as it stands (one handle), and a
//! listener added or removed by a callback takes effect from the next output on.

use alloc::vec::Vec;

use js_sys::{Array, Function};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::core::Output;

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// Calls each listener with `value` in order; a listener that throws is logged to the
    /// console and the others still run.
    pub(crate) fn emit(listeners: &Array, value: &JsValue);

    /// Checks the arguments of `client.on(name, listener)`: returns the index of `name` in
    /// `["event", "failure", "state", "recovery"]` (the order of [`Topic`]), or throws a
    /// `TypeError` for another name or for a listener that is not a function.
    #[wasm_bindgen(catch)]
    pub(crate) fn on_arguments(name: &JsValue, listener: &JsValue) -> Result<u32, JsValue>;
}

/// The JavaScript output topics of `client.on(name, …)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    Event,
    Failure,
    State,
    Recovery,
}

const TOPICS: usize = 4;

impl Topic {
    /// The topic at `index` in declaration order, as [`on_arguments`] returns it (which is
    /// below 4; anything larger is taken as the last).
    pub(crate) fn from_index(index: u32) -> Topic {
        match index {
            0 => Topic::Event,
            1 => Topic::Failure,
            2 => Topic::State,
            _ => Topic::Recovery,
        }
    }

    /// The topic an output is delivered on, if any.
    pub(crate) fn of(output: &Output) -> Option<Topic> {
        match output {
            Output::Event(_) => Some(Topic::Event),
            Output::Failure(_) => Some(Topic::Failure),
            Output::State(_) => Some(Topic::State),
            Output::Recovery(_) => Some(Topic::Recovery),
            Output::Acked(_) | Output::Connect | Output::Disconnect { .. } => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Registered JavaScript listeners, in registration order.
#[derive(Default)]
pub(crate) struct Listeners {
    next_id: u32,
    entries: Vec<(u32, Topic, Function)>,
    /// Per topic, the listeners as one array; `None` when the topic has none.
    by_topic: [Option<Array>; TOPICS],
}

impl Listeners {
    /// Adds `listener` for `topic`; the id removes it.
    pub(crate) fn add(&mut self, topic: Topic, listener: Function) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.entries.push((self.next_id, topic, listener));
        self.rebuild(topic);
        self.next_id
    }

    pub(crate) fn remove(&mut self, id: u32) {
        let topic = self.entries.iter().find(|(i, _, _)| *i == id).map(|(_, t, _)| *t);
        self.entries.retain(|(i, _, _)| *i != id);
        if let Some(topic) = topic {
            self.rebuild(topic);
        }
    }

    /// The listeners of `topic` as they stand now, if it has any.
    pub(crate) fn of(&self, topic: Topic) -> Option<Array> {
        self.by_topic.get(topic.index()).cloned().flatten()
    }

    fn rebuild(&mut self, topic: Topic) {
        let array = Array::new();
        for (_, t, f) in &self.entries {
            if *t == topic {
                array.push(f);
            }
        }
        let value = (array.length() > 0).then_some(array);
        if let Some(slot) = self.by_topic.get_mut(topic.index()) {
            *slot = value;
        }
    }
}
