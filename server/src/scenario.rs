//! Fault scenarios: which fault a connection injects, and when.

use std::fmt;

/// The five "golden path" event types of a run, in run order.
pub const GOLDEN_EVENTS: [&str; 5] =
    ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];

/// A fault scenario selected by the `scenario` query parameter.
///
/// Run-level scenarios shape every run of the connection; connection-level scenarios
/// ([`Scenario::conn_fault`]) fire once, during the connection's first run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Clean,
    Drop,
    DropTail,
    Duplicate,
    TripleSend,
    RetryRestamped,
    Reorder,
    Stall,
    HalfOpen,
    AbruptClose,
    CloseCode,
    Restart,
    ResumePartial,
    NoAck,
    Malformed,
    Error,
    Skip,
    Slow,
    Flood,
    ParallelTools,
    ManyRuns,
    LateRetry,
    ConflictingKeys,
    HugeFrame,
    HugeNames,
    EchoToken,
    CloseAfterHandshake,
    Silent,
    StartedThrice,
    Upgrade500,
    CleanupClose,
    EchoProtocol,
}

/// Every scenario with its query-parameter name.
const NAMES: [(&str, Scenario); 32] = [
    ("clean", Scenario::Clean),
    ("drop", Scenario::Drop),
    ("drop_tail", Scenario::DropTail),
    ("duplicate", Scenario::Duplicate),
    ("triple_send", Scenario::TripleSend),
    ("retry_restamped", Scenario::RetryRestamped),
    ("reorder", Scenario::Reorder),
    ("stall", Scenario::Stall),
    ("half_open", Scenario::HalfOpen),
    ("abrupt_close", Scenario::AbruptClose),
    ("close_code", Scenario::CloseCode),
    ("restart", Scenario::Restart),
    ("resume_partial", Scenario::ResumePartial),
    ("no_ack", Scenario::NoAck),
    ("malformed", Scenario::Malformed),
    ("error", Scenario::Error),
    ("skip", Scenario::Skip),
    ("slow", Scenario::Slow),
    ("flood", Scenario::Flood),
    ("parallel_tools", Scenario::ParallelTools),
    ("many_runs", Scenario::ManyRuns),
    ("late_retry", Scenario::LateRetry),
    ("conflicting_keys", Scenario::ConflictingKeys),
    ("huge_frame", Scenario::HugeFrame),
    ("huge_names", Scenario::HugeNames),
    ("echo_token", Scenario::EchoToken),
    ("close_after_handshake", Scenario::CloseAfterHandshake),
    ("silent", Scenario::Silent),
    ("started_thrice", Scenario::StartedThrice),
    ("upgrade_500", Scenario::Upgrade500),
    ("cleanup_close", Scenario::CleanupClose),
    ("echo_protocol", Scenario::EchoProtocol),
];

/// Every scenario's name, as `?scenario=` takes it, in the order of `server/README.md`.
pub fn names() -> impl Iterator<Item = &'static str> {
    NAMES.iter().map(|(name, _)| *name)
}

impl Scenario {
    /// Parses a scenario name; `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// The connection-level fault this scenario injects, if it is one.
    pub fn conn_fault(self) -> Option<ConnFault> {
        match self {
            Scenario::HalfOpen => Some(ConnFault::HalfOpen),
            Scenario::AbruptClose => Some(ConnFault::AbruptClose),
            Scenario::CloseCode => Some(ConnFault::CloseCode),
            Scenario::Restart => Some(ConnFault::Restart),
            Scenario::ResumePartial => Some(ConnFault::ResumePartial),
            Scenario::EchoToken => Some(ConnFault::CloseCode),
            _ => None,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = NAMES.iter().find(|(_, s)| s == self).map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

/// A fault that acts on the whole connection rather than on a run's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnFault {
    /// Stop sending anything (events, pongs, heartbeats) but keep the socket open and reading.
    HalfOpen,
    /// Drop the TCP connection without a close frame; the session survives.
    AbruptClose,
    /// Send a close frame with the configured code and reason.
    CloseCode,
    /// Drop the TCP connection and forget the session (netra: as `AbruptClose`).
    Restart,
    /// As `AbruptClose`, but events produced while detached are lost from the replay buffer,
    /// all but the last (netra: as `AbruptClose`).
    ResumePartial,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The `<option>`s of the `<select id="scenario">` in a page of `www/`: the value, or
    /// else the text.
    fn page_scenarios(page: &str) -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("www").join(page);
        let html = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let start = html.find("<select id=\"scenario\">").expect("a scenario select");
        let select = &html[start..start + html[start..].find("</select>").expect("its end")];
        select
            .split("<option")
            .skip(1)
            .map(|option| {
                let (attributes, text) = option.split_once('>').expect("a whole tag");
                let value = attributes.split_once("value=\"").map(|(_, v)| v.split('"').next().unwrap_or(""));
                value.unwrap_or_else(|| text.split('<').next().unwrap_or("")).trim().to_string()
            })
            .filter(|name| !name.is_empty())
            .collect()
    }

    #[test]
    fn every_scenario_the_pages_offer_exists() {
        for page in ["index.html", "check.html"] {
            let offered = page_scenarios(page);
            assert!(offered.len() > 5, "{page}: {offered:?}");
            for name in offered {
                assert!(Scenario::parse(&name).is_some(), "{page} offers `{name}`, which is no scenario");
            }
        }
    }
}
