//! Reporters: one file per output format, all reading the same scan result. Only this
//! module decides what reaches stdout, and everything it prints passes `redact::scrub`.

pub mod human;
pub mod json;
pub mod plan;
pub mod redact;
