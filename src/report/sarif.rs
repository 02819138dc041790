//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (and any other SARIF viewer).
//!
//! One run; `tool.driver.rules` lists every detection rule in effect with its summary, why,
//! fix and a `security-severity` GitHub uses to rank alerts; each finding is a result with its
//! location and a `partialFingerprints` entry taken from the finding's fingerprint, which stays
//! the same when unrelated lines move, so an alert survives edits elsewhere in the file.
//! Built as plain JSON values (a SARIF crate's generated types cost a minute of build time
//! for the dozen fields we write); the text passes `redact::scrub` like every other output.
//! See: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::finding::{Finding, Severity};
use crate::rules::DetectRule;
use crate::scan::ScanResult;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/scopesmith/scopesmith";
/// Key of our entry in `partialFingerprints`; bump the suffix if the fingerprint changes.
pub const FINGERPRINT_KEY: &str = "scopesmith/v1";

/// GitHub's bands: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// `uri_prefix` is prepended to every finding path (the scanned directory as given, so that
/// `scopesmith scan src` run from the repository root yields repository-relative URIs).
pub fn render(result: &ScanResult, rules: &[DetectRule], uri_prefix: &str) -> String {
    let mut rules: Vec<&DetectRule> = rules.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let descriptors: Vec<Value> = rules.iter().map(|r| descriptor(r)).collect();
    let results: Vec<Value> =
        result.findings.iter().map(|f| sarif_result(f, index.get(f.rule.as_str()).copied(), uri_prefix)).collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scopesmith",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).expect("JSON values always serialise");
    out.push('\n');
    super::redact::scrub(&out)
}

fn descriptor(r: &DetectRule) -> Value {
    json!({
        "id": r.id,
        "name": pascal_case(&r.id),
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.why},
        "help": {
            "text": r.fix,
            "markdown": format!("**{}**\n\n{}\n\n**Fix:** {}", r.summary, r.why, r.fix),
        },
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "security-severity": security_severity(r.severity),
            "tags": ["security", "cloudflare", "credentials"],
            "precision": "high",
        },
    })
}

fn sarif_result(f: &Finding, rule_index: Option<usize>, uri_prefix: &str) -> Value {
    let message = match &f.credential {
        Some(c) => format!("{} (`{c}`). {}", f.message, f.fix),
        None => format!("{}. {}", f.message, f.fix),
    };
    let message = match &f.history {
        Some(h) => format!(
            "{message} Introduced in commit {} ({}); {}.",
            h.commit,
            h.date,
            if h.at_head { "still in HEAD" } else { "deleted since, still readable in the history" }
        ),
        None => message,
    };
    let mut result = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": uri(uri_prefix, &f.path)},
            "region": {
                "startLine": f.line,
                "startColumn": f.column,
                "endLine": f.end_line.max(f.line),
            },
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    });
    if let Some(h) = &f.history {
        // The same line introduced by two commits is two results to track.
        result["partialFingerprints"]["commitSha/v1"] = json!(h.commit);
        result["properties"] = json!({"commit": h.commit, "authorDate": h.date, "atHead": h.at_head});
    }
    if let Some(i) = rule_index {
        result["ruleIndex"] = json!(i);
    }
    result
}

/// `x-auth-key-header` -> `XAuthKeyHeader` (SARIF's `name` is an identifier-like label).
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|first| first.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

/// A relative URI reference: `/`-separated, with characters outside RFC 3986's unreserved
/// set percent-encoded.
pub(crate) fn uri(prefix: &str, path: &str) -> String {
    let joined = if prefix.is_empty() { path.to_string() } else { format!("{}/{path}", prefix.trim_end_matches('/')) };
    let mut out = String::with_capacity(joined.len());
    for b in joined.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_escaped() {
        assert_eq!(uri("", "deploy/purge.sh"), "deploy/purge.sh");
        assert_eq!(uri("src/", "a b.py"), "src/a%20b.py");
        assert_eq!(pascal_case("x-auth-key-header"), "XAuthKeyHeader");
    }
}
