//! The core's JSON reader against serde_json on any text: the same verdict on what is a JSON
//! object, the same top-level keys, the same string values.
#![no_main]

use chat_sentinel::core::json::{JsonError, Object};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Nesting the core may accept; serde_json's own recursion limit is 128.
const MAX_DEPTH: u32 = 64;

fn depth(value: &Value) -> u32 {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Whether `text` holds a `\uD800`–`\uDFFF` escape: JSON allows a lone one, serde_json does not.
fn has_surrogate_escape(text: &str) -> bool {
    text.as_bytes().windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2].eq_ignore_ascii_case(&b'd')
            && matches!(w[3], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ours = Object::parse(text, MAX_DEPTH);
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(members)) => {
            let value = Value::Object(members.clone());
            if depth(&value) > MAX_DEPTH {
                assert!(ours.is_err(), "accepted nesting {} over {MAX_DEPTH}", depth(&value));
                return;
            }
            let object = match ours {
                Ok(object) => object,
                Err(e) => panic!("rejected a valid object ({e:?}): {text:?}"),
            };
            // Keys: the same set (serde_json keeps one of each repeated key).
            for (key, value) in &members {
                let found: Vec<_> = object.members().filter(|m| m.is(key)).collect();
                assert!(!found.is_empty(), "key {key:?} missing");
                if let (Value::String(s), 1) = (value, found.len()) {
                    assert_eq!(found[0].value.as_str().as_deref(), Some(s.as_str()), "value of {key:?}");
                }
            }
            assert!(object.members().all(|m| members.keys().any(|k| m.is(k))), "a key serde_json does not have");
        }
        Ok(value) => {
            if depth(&value) <= MAX_DEPTH {
                assert_eq!(ours.err(), Some(JsonError::NotObject), "{text:?}");
            }
        }
        // serde_json refuses lone surrogate escapes and nesting past 128, which JSON allows.
        Err(e) if has_surrogate_escape(text) || e.to_string().contains("recursion") => {}
        Err(e) => assert!(ours.is_err(), "accepted what serde_json rejects ({e}): {text:?}"),
    }
});
