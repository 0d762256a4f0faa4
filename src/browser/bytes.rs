//! Strings across the wasm boundary on the hot path, through one view of wasm memory kept from
//! call to call (and numbers read from JavaScript values, see [`number`]).
//!
//! wasm-bindgen's own string passing makes a new `Uint8Array` view per call and decodes with
//! `TextDecoder`; measured in Chromium, each of those costs about as much as a `JSON.parse` of
//! a short frame. Here JavaScript keeps its views from call to call (renewed only when the
//! memory grows or the buffer moves): a frame is written by `TextEncoder.encodeInto` into the
//! view of its buffer, which in Chromium takes about 60 % of the time of a copy loop over a
//! 300-byte frame; short ASCII strings are read back with a plain loop.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// Writes `text` as UTF-8 into the `len` bytes at address `at` of the wasm `memory` and
    /// returns the bytes written, plus [`NOT_ASCII`] unless all of them are ASCII; or minus the
    /// string's length in UTF-16 code units when it does not fit. (wasm-bindgen's contract for
    /// a `&mut [u8]` argument: JavaScript writes into exactly those bytes.)
    fn encode_into(text: &JsValue, memory: &JsValue, at: u32, len: u32) -> f64;

    /// The `len` ASCII bytes at address `at` of the wasm `memory`, as a string.
    fn ascii_string(memory: &JsValue, at: u32, len: u32) -> JsValue;

    /// `value` if it is a number, else NaN.
    fn number_or_nan(value: &JsValue) -> f64;
}

/// Where `bytes` are in wasm memory (wasm32 addresses are 32 bits) and how many.
fn span(bytes: &[u8]) -> Option<(u32, u32)> {
    Some((bytes.as_ptr() as usize as u32, u32::try_from(bytes.len()).ok()?))
}

/// Added by `encode_into` to the bytes written when they are not all ASCII (2^32: more than a
/// wasm32 buffer can hold).
const NOT_ASCII: f64 = 4_294_967_296.0;

/// A string written into wasm memory by [`encode`].
pub(crate) struct Encoded {
    /// The bytes written.
    pub(crate) len: usize,
    /// Every byte is ASCII, so byte offsets are UTF-16 offsets too.
    pub(crate) ascii: bool,
}

/// Encodes the JavaScript string `text` into `into`, or returns `Err(units)` (its length in
/// UTF-16 code units) when it does not fit.
fn encode(text: &JsValue, memory: &JsValue, into: &mut [u8]) -> Result<Encoded, usize> {
    let Ok(len) = u32::try_from(into.len()) else { return Err(usize::MAX) };
    let at = into.as_mut_ptr() as usize as u32;
    let written = encode_into(text, memory, at, len);
    if written < 0.0 {
        Err((-written) as usize)
    } else if written >= NOT_ASCII {
        Ok(Encoded { len: (written - NOT_ASCII) as usize, ascii: false })
    } else {
        Ok(Encoded { len: written as usize, ascii: true })
    }
}

/// [`encode`] into `buffer`, which first grows as far as `max` bytes if `text` does not fit:
/// `Err(units)` only if it does not fit in `max` bytes either.
pub(crate) fn encode_growing(
    text: &JsValue,
    memory: &JsValue,
    buffer: &mut Vec<u8>,
    max: usize,
) -> Result<Encoded, usize> {
    let written = encode(text, memory, buffer);
    let Err(units) = written else { return written };
    // Three bytes per UTF-16 unit at most.
    let need = units.saturating_mul(3).min(max);
    if need <= buffer.len() {
        return written;
    }
    buffer.resize(need, 0);
    encode(text, memory, buffer)
}

/// `value` as a Rust string if it is a JavaScript string (lone surrogates become U+FFFD, as
/// `TextEncoder` makes them), else `None`. This module's path instead of wasm-bindgen's
/// `JsValue::as_string`, so that the bundle carries one way of copying strings in, not two.
pub(crate) fn to_string(value: &JsValue) -> Option<String> {
    if !value.is_string() {
        return None;
    }
    let mut buffer = Vec::new();
    let written = encode_growing(value, &wasm_bindgen::memory(), &mut buffer, usize::MAX).ok()?;
    buffer.truncate(written.len);
    String::from_utf8(buffer).ok()
}

/// `value` if it is a number other than NaN, else `None`. In place of wasm-bindgen's
/// `JsValue::as_f64`, whose answer comes back through wasm memory (and a `DataView` in the
/// glue) rather than as a plain `f64`.
pub(crate) fn number(value: &JsValue) -> Option<f64> {
    let n = number_or_nan(value);
    (!n.is_nan()).then_some(n)
}

/// `text` as a JavaScript string.
pub(crate) fn string(text: &str, memory: &JsValue) -> JsValue {
    match span(text.as_bytes()) {
        Some((at, len)) if text.is_ascii() && len <= 64 => ascii_string(memory, at, len),
        _ => JsValue::from_str(text),
    }
}

/// `a` followed by `b`, as one string: `[a, b].concat()` without the slice-joining machinery,
/// whose bounds checks would bring panic formatting into the shipped bundle.
pub(crate) fn joined(a: &str, b: &str) -> String {
    let mut out = String::with_capacity(a.len() + b.len());
    out.push_str(a);
    out.push_str(b);
    out
}
