//! Reporters: one file per output format, all reading the same scan result. Only this
//! module decides what reaches stdout, and everything it prints passes `redact::scrub`.

pub mod compact;
pub mod escape;
pub mod foreign;
pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
pub mod model;
#[cfg(feature = "online")]
pub mod online;
pub mod plan;
pub mod progress;
pub mod provenance;
pub mod redact;
pub mod runbook;
pub mod sarif;
pub mod saved;
pub mod targets;

/// What the CI gate hid from a report, for its summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Hidden by a `scopesmith:ignore[...]` comment.
    pub suppressed: usize,
    /// Already in the baseline.
    pub baselined: usize,
    /// On lines `--diff-base` did not touch.
    pub unchanged: usize,
    /// Entries written by `--write-baseline`.
    #[serde(skip)]
    pub baseline_written: Option<usize>,
}
