//! The bearer token: how it is offered to the server, and how it is kept out of every text the
//! client emits.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The subprotocol offered first, next to [`Credential::subprotocol`].
pub const AUTH_SUBPROTOCOL: &str = "jwt-auth";

/// What stands in a text where the token was.
pub const REDACTED: &str = "[redacted]";

/// A bearer token. It travels only as the WebSocket subprotocol `jwt.<base64url(token)>`;
/// [`Credential::redact`] removes it, raw or in any base64 form, from text the server sends back
/// before the client quotes that text. Its `Debug` form never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    token: String,
    /// base64url without padding, as the subprotocol carries it.
    encoded: String,
}

impl Credential {
    /// A credential for `token`.
    pub fn new(token: impl Into<String>) -> Self {
        let token = token.into();
        let encoded = base64(token.as_bytes(), Alphabet::Url);
        Credential { token, encoded }
    }

    /// The token as the subprotocol encodes it: base64url without padding.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// The subprotocol that carries the token: `jwt.<base64url(token)>`.
    pub fn subprotocol(&self) -> String {
        let mut out = String::from("jwt.");
        out.push_str(&self.encoded);
        out
    }

    /// Whether `text` holds the token in any of the forms [`redact`](Self::redact) removes.
    pub fn appears_in(&self, text: &str) -> bool {
        self.forms().iter().any(|form| find(text, form).is_some())
    }

    /// `text` with every occurrence of the token — raw, base64url, or standard base64 with or
    /// without padding — replaced by [`REDACTED`]. Borrowed when there was none.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for form in self.forms() {
            if let Some(replaced) = replace_all(&out, &form) {
                out = Cow::Owned(replaced);
            }
        }
        out
    }

    /// The forms of the token a server may echo, longest first, so that a form is not left
    /// half-replaced by a shorter one inside it (base64 is longer than what it encodes, and
    /// padding only adds); none for an empty token.
    fn forms(&self) -> Vec<String> {
        if self.token.is_empty() {
            return Vec::new();
        }
        let standard = base64(self.token.as_bytes(), Alphabet::Standard);
        let unpadded = standard.trim_end_matches('=').into();
        let mut forms = Vec::from([standard, unpadded, self.encoded.clone(), self.token.clone()]);
        forms.dedup();
        forms
    }
}

/// Where `needle` (not empty) first occurs in `text`. Both are UTF-8, so a match starts and
/// ends on character boundaries.
fn find(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    text.as_bytes().windows(needle.len()).position(|window| window == needle.as_bytes())
}

/// `text` with every `needle` replaced by [`REDACTED`], if it held one.
fn replace_all(text: &str, needle: &str) -> Option<String> {
    let mut at = find(text, needle)?;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        out.push_str(rest.get(..at).unwrap_or_default());
        out.push_str(REDACTED);
        rest = rest.get(at + needle.len()..).unwrap_or_default();
        match find(rest, needle) {
            Some(next) => at = next,
            None => break,
        }
    }
    out.push_str(rest);
    Some(out)
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential(")?;
        f.write_str(REDACTED)?;
        f.write_str(")")
    }
}

#[derive(Clone, Copy)]
enum Alphabet {
    /// RFC 4648 §5, without padding.
    Url,
    /// RFC 4648 §4, padded.
    Standard,
}

/// `bytes` in base64.
fn base64(bytes: &[u8], alphabet: Alphabet) -> String {
    const COMMON: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let (last_two, pad) = match alphabet {
        Alphabet::Url => (*b"-_", false),
        Alphabet::Standard => (*b"+/", true),
    };
    let symbol = |n: u32| {
        let index = (n & 63) as usize;
        char::from(COMMON.get(index).or_else(|| last_two.get(index - COMMON.len())).copied().unwrap_or(b'A'))
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = byte(0) << 16 | byte(1) << 8 | byte(2);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(symbol(n >> shift));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_rfc_4648() {
        let url = |s: &str| base64(s.as_bytes(), Alphabet::Url);
        let std = |s: &str| base64(s.as_bytes(), Alphabet::Standard);
        assert_eq!([url(""), url("f"), url("fo"), url("foo"), url("foob")], ["", "Zg", "Zm8", "Zm9v", "Zm9vYg"]);
        assert_eq!([std("f"), std("fo"), std("foob")], ["Zg==", "Zm8=", "Zm9vYg=="]);
        assert_eq!([url("??>"), url("???"), std("??>"), std("???")], ["Pz8-", "Pz8_", "Pz8+", "Pz8/"]);
        assert_eq!(url("\u{fb}\u{ff}"), "w7vDvw");
    }

    #[test]
    fn redacts_every_form_and_never_shows_in_debug() {
        let c = Credential::new("t?k>n");
        assert_eq!(c.subprotocol(), "jwt.dD9rPm4");
        for echoed in ["t?k>n", "dD9rPm4", "dD9rPm4=", "jwt.dD9rPm4"] {
            let text = alloc::format!("bad token {echoed}!");
            assert!(c.appears_in(&text));
            assert!(!c.redact(&text).contains("dD9rPm4") && !c.redact(&text).contains("t?k>n"), "{echoed}");
        }
        assert!(matches!(c.redact("nothing here"), Cow::Borrowed(_)));
        assert_eq!(alloc::format!("{c:?}"), "Credential([redacted])");
        assert!(!Credential::new("").appears_in("anything"));
    }
}
