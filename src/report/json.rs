//! `--format json`: the documented contract (see README, "JSON output").
//!
//! `findings[].{rule,path,line,column,kind,credential,severity,message}` are stable; more
//! fields may be added. No timestamps and no absolute paths, so runs are byte-identical.
//! `source: {repository, commit}` is present only when the root is a git work tree (or
//! `--repo-name` is given); see `provenance.rs`.

use serde::Serialize;

use super::Tally;
use crate::finding::{Finding, Warning};
use crate::scan::{ScanResult, Stats};

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a super::provenance::Source>,
    findings: &'a [Finding],
    warnings: &'a [Warning],
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary<'a> {
    findings: usize,
    #[serde(flatten)]
    tally: &'a Tally,
    by_severity: std::collections::BTreeMap<&'static str, usize>,
    by_kind: std::collections::BTreeMap<&'static str, usize>,
    #[serde(flatten)]
    stats: &'a Stats,
}

pub fn render(result: &ScanResult, tally: &Tally) -> String {
    render_with_source(result, tally, None)
}

/// The same document, stamped with the repository and commit it describes.
pub fn render_with_source(result: &ScanResult, tally: &Tally, source: Option<&super::provenance::Source>) -> String {
    let mut by_severity = std::collections::BTreeMap::new();
    let mut by_kind = std::collections::BTreeMap::new();
    for f in &result.findings {
        *by_severity.entry(f.severity.as_str()).or_insert(0) += 1;
        *by_kind.entry(f.kind.as_str()).or_insert(0) += 1;
    }
    let doc = Document {
        version: 1,
        tool: Tool { name: "scopesmith", version: env!("CARGO_PKG_VERSION") },
        source,
        findings: &result.findings,
        warnings: &result.warnings,
        summary: Summary { findings: result.findings.len(), tally, by_severity, by_kind, stats: &result.stats },
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("findings always serialise");
    out.push('\n');
    super::redact::scrub(&out)
}
