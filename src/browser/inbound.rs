//! Inbound frames: the JavaScript string goes into wasm memory once, and an event of it comes
//! back parsed from that same string.
//!
//! A frame arrives as a JavaScript string. It is written as UTF-8 straight into one reusable
//! buffer for the tracker to read ([`bytes::encode_growing`]: no allocation and no new view per frame).
//! The string itself is kept while the tracker handles it: an event the
//! tracker delivers from that frame is built in JavaScript from the string, with one
//! `JSON.parse` of the event's body where it stands ([`Body::InFrame`]), so the body never
//! crosses back out of wasm as UTF-8 to be decoded.

use alloc::vec::Vec;

use wasm_bindgen::JsValue;

use super::bytes;
use crate::core::{Body, Event};

/// The smallest buffer (most frames fit at once).
const INITIAL: usize = 4096;

/// The frame the tracker handles now, and the buffer it is read from.
pub(crate) struct Inbound {
    /// The wasm memory (`WebAssembly.Memory`).
    memory: JsValue,
    buffer: Vec<u8>,
    /// The largest buffer: one byte more than a frame may have, so an oversized frame is
    /// still seen to be oversized.
    max: usize,
    current: Option<Current>,
}

/// The frame last read, while its bytes are still in the buffer.
struct Current {
    text: JsValue,
    /// Its length in the buffer.
    len: usize,
    /// Only ASCII: byte offsets are UTF-16 offsets.
    ascii: bool,
    /// Its ordinal, once the tracker has counted it.
    ordinal: u64,
}

/// Where an event's body stands in the JavaScript string of its frame (UTF-16 offsets;
/// `start == end` when the frame has no body).
pub(crate) struct InFrame {
    pub(crate) text: JsValue,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Inbound {
    /// For frames of at most `max_frame_bytes` bytes.
    pub(crate) fn new(max_frame_bytes: usize) -> Inbound {
        Inbound {
            memory: wasm_bindgen::memory(),
            buffer: Vec::new(),
            max: max_frame_bytes.saturating_add(1),
            current: None,
        }
    }

    /// The frame `text` as the tracker reads it, or, for a frame larger than `max_frame_bytes`,
    /// a lower bound of its length in bytes (its UTF-16 length): such a frame is never copied
    /// into wasm memory, so a hostile server cannot grow it with oversized frames.
    pub(crate) fn read(&mut self, text: JsValue) -> Result<&str, usize> {
        self.current = None;
        if self.buffer.is_empty() {
            self.buffer.resize(INITIAL.min(self.max), 0);
        }
        let encoded = bytes::encode_growing(&text, &self.memory, &mut self.buffer, self.max)?;
        // The encoder writes UTF-8; an empty frame stands in should it ever not be.
        let frame = self.buffer.get(..encoded.len).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or_default();
        self.current = Some(Current { text, len: encoded.len, ascii: encoded.ascii, ordinal: 0 });
        Ok(frame)
    }

    /// The tracker has handled the frame last read and counted it as frame `ordinal`.
    pub(crate) fn handled(&mut self, ordinal: u64) {
        if let Some(current) = &mut self.current {
            current.ordinal = ordinal;
        }
    }

    /// The text of the frame last read (empty before the first).
    pub(crate) fn text(&self) -> &str {
        let len = self.current.as_ref().map_or(0, |c| c.len);
        self.buffer.get(..len).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or_default()
    }

    /// Where the body of `event` stands in its frame's string, if it stands in the frame last
    /// read (an event held back for reordering owns its body instead).
    pub(crate) fn locate(&self, event: &Event) -> Option<InFrame> {
        let current = self.current.as_ref().filter(|c| c.ordinal == event.frame)?;
        let text = current.text.clone();
        let range = match &event.body {
            Body::Empty => return Some(InFrame { text, start: 0, end: 0 }),
            Body::InFrame(range) => range.clone(),
            Body::Owned(_) => return None,
        };
        if current.ascii {
            return Some(InFrame {
                text,
                start: u32::try_from(range.start).ok()?,
                end: u32::try_from(range.end).ok()?,
            });
        }
        let frame = core::str::from_utf8(self.buffer.get(..current.len)?).ok()?;
        let units = |s: &str| s.chars().map(char::len_utf16).sum::<usize>();
        let start = units(frame.get(..range.start)?);
        let end = start + units(frame.get(range)?);
        Some(InFrame { text, start: u32::try_from(start).ok()?, end: u32::try_from(end).ok()? })
    }
}
