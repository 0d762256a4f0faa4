//! Byte budgets: every table that holds what the server sent is bounded in bytes as well as in
//! entries, so that a hostile server cannot grow memory past [`Config::memory_budget`]
//! (super::Config::memory_budget) however it shapes its frames.

/// The longest run id or tool name kept as it came; a longer one is kept shortened
/// (see `frame::bounded_id`).
pub(crate) const MAX_ID_BYTES: usize = 256;

/// The bytes of tool names one run may hold open or awaiting their `tool_executing`.
pub(crate) const RUN_TOOL_BYTES: usize = 16 * 1024;

/// Tool calls one run may hold open at once (or awaiting their `tool_executing`).
pub(crate) const RUN_TOOLS: usize = 256;

/// What one run's entry costs besides its id and tool names.
pub(crate) const RUN_OVERHEAD: usize = 160;

/// What one tool name's entry costs besides its bytes.
pub(crate) const TOOL_OVERHEAD: usize = 32;

/// The bytes of events held for reordering (sequenced) before the hole is declared at once.
pub(crate) const HELD_EVENT_BYTES: usize = 8 << 20;

/// The bytes of events and reports queued for the application before outputs are dropped (and
/// reported); commands and message outcomes are never dropped.
pub(crate) const OUTPUT_QUEUE_BYTES: usize = 16 << 20;

/// What one entry of the duplicate window costs.
const DEDUP_ENTRY: usize = 48;

/// The budget of a run table of `cap` runs.
pub(crate) const fn runs(cap: usize) -> usize {
    cap.saturating_mul(RUN_OVERHEAD + MAX_ID_BYTES + RUN_TOOL_BYTES + RUN_TOOLS * TOOL_OVERHEAD)
}

/// The budget of a duplicate window of `cap` keys.
pub(crate) const fn dedup(cap: usize) -> usize {
    cap.saturating_mul(DEDUP_ENTRY)
}
