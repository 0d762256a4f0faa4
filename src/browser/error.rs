//! Errors of the browser layer.
//!
//! Failures of the chat itself are core [`Report`](crate::core::Report)s (a `ChatError` in
//! JavaScript, see [`convert::chat_error`](super::convert::chat_error)); this module holds the
//! one error of the API's own: a bad option.

use alloc::borrow::Cow;
use alloc::string::String;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::core::ConfigError;

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// A new `RangeError` if `range`, else a `TypeError`, with the text `message`.
    fn js_error(range: bool, message: &str) -> JsValue;
}

/// Whether a bad option is the wrong type (JavaScript `TypeError`) or out of range
/// (`RangeError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionErrorKind {
    /// Unknown name, wrong type, missing, or not acceptable at all (`TypeError`).
    Type,
    /// The right type but out of range (`RangeError`).
    Range,
}

/// A client option that cannot be used. Never quotes the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionError {
    /// `TypeError` or `RangeError`.
    pub kind: OptionErrorKind,
    /// The option's name as the JavaScript API spells it (`reconnect.maxDelayMs`).
    pub option: Cow<'static, str>,
    /// What is wrong with it.
    pub reason: Cow<'static, str>,
}

impl OptionError {
    pub(crate) fn type_error(option: impl Into<Cow<'static, str>>, reason: impl Into<Cow<'static, str>>) -> Self {
        OptionError { kind: OptionErrorKind::Type, option: option.into(), reason: reason.into() }
    }

    pub(crate) fn range_error(option: impl Into<Cow<'static, str>>, reason: impl Into<Cow<'static, str>>) -> Self {
        OptionError { kind: OptionErrorKind::Range, option: option.into(), reason: reason.into() }
    }

    /// The error of a configuration value out of range.
    pub(crate) fn config(error: &ConfigError) -> Self {
        Self::range_error(error.field, error.reason)
    }

    /// The JavaScript `TypeError` or `RangeError` with [`message`](Self::message).
    pub(crate) fn to_js(&self) -> JsValue {
        js_error(self.kind == OptionErrorKind::Range, &self.message())
    }

    /// `chat-sentinel: option "name" reason`.
    pub fn message(&self) -> String {
        let mut text = String::from("chat-sentinel: option \"");
        text.push_str(&self.option);
        text.push_str("\" ");
        text.push_str(&self.reason);
        text
    }
}

/// The JavaScript `TypeError` of a call whose argument is not what it takes: `what` is
/// `chat-sentinel: ` and the rest of the text.
pub(crate) fn argument_error(what: &str) -> JsValue {
    js_error(false, &super::bytes::joined("chat-sentinel: ", what))
}

impl core::fmt::Display for OptionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for OptionError {}
