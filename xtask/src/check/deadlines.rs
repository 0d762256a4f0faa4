//! The check's deadlines, read from `www/deadlines.json`: the one file the check page
//! (`www/check.js`) imports them from too.

use serde_json::{Map, Value};

/// `www/deadlines.json`, compiled in: the xtask and the page it drives cannot disagree.
const FILE: &str = include_str!("../../../www/deadlines.json");

/// One set of deadlines (ms), by the check's setting name (`ackTimeoutMs`, `settleMs`, …).
#[derive(Debug, Clone)]
pub struct Deadlines(Map<String, Value>);

impl Deadlines {
    /// Short ones for the local reference server: every fault shows within seconds.
    pub fn reference() -> Self {
        Self::named("reference")
    }

    /// A deployed server's (`--url`): the SDK's own defaults, and two minutes for a run.
    pub fn staging() -> Self {
        Self::named("staging")
    }

    /// The set `name` of the file; empty if the file has none (the unit test below fails then).
    fn named(name: &str) -> Self {
        let file: Value = serde_json::from_str(FILE).unwrap_or(Value::Null);
        Self(file.get(name).and_then(Value::as_object).cloned().unwrap_or_default())
    }

    /// The deadline `key` in ms; 10 s if the set has none.
    pub fn ms(&self, key: &str) -> u64 {
        self.0.get(key).and_then(Value::as_u64).unwrap_or(FALLBACK_MS)
    }

    /// Every deadline, as the check page's settings take them.
    pub fn settings(&self) -> &Map<String, Value> {
        &self.0
    }
}

/// A deadline the file does not name.
const FALLBACK_MS: u64 = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sets_name_the_same_whole_numbers_of_ms() {
        let (reference, staging) = (Deadlines::reference(), Deadlines::staging());
        assert!(reference.settings().len() >= 8, "{:?}", reference.settings());
        let keys = |d: &Deadlines| d.settings().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&reference), keys(&staging));
        for d in [&reference, &staging] {
            assert!(d.settings().values().all(|v| v.as_u64().is_some_and(|ms| ms > 0)), "{:?}", d.settings());
        }
        assert!(reference.ms("completionTimeoutMs") < staging.ms("completionTimeoutMs"));
    }
}
