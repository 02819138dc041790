//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (and any other SARIF viewer).
//!
//! One run; `tool.driver.rules` lists every detection rule in effect with its summary, why,
//! fix and a `security-severity` GitHub uses to rank alerts; each finding is a result with its
//! location and a `partialFingerprints` entry taken from the finding's fingerprint, which stays
//! the same when unrelated lines move, so an alert survives edits elsewhere in the file.
//! Types come from `serde-sarif`; the text passes `redact::scrub` like every other output.
//! See: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag, Region,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

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

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low => ResultLevel::Note,
    }
}

/// `uri_prefix` is prepended to every finding path (the scanned directory as given, so that
/// `scopesmith scan src` run from the repository root yields repository-relative URIs).
pub fn render(result: &ScanResult, rules: &[DetectRule], uri_prefix: &str) -> String {
    let mut rules: Vec<&DetectRule> = rules.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let descriptors: Vec<ReportingDescriptor> = rules.iter().map(|r| descriptor(r)).collect();
    let results: Vec<SarifResult> =
        result.findings.iter().map(|f| sarif_result(f, index.get(f.rule.as_str()).copied(), uri_prefix)).collect();
    let driver = ToolComponent::builder()
        .name("scopesmith")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(descriptors)
        .build();
    let run = Run::builder().tool(Tool::from(driver)).results(results).build();
    let log =
        Sarif::builder().schema(SCHEMA).version(serde_json::Value::String("2.1.0".into())).runs(vec![run]).build();
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF types always serialise");
    out.push('\n');
    super::redact::scrub(&out)
}

fn descriptor(r: &DetectRule) -> ReportingDescriptor {
    let mut props = BTreeMap::new();
    props.insert("security-severity".to_string(), serde_json::json!(security_severity(r.severity)));
    props.insert("tags".to_string(), serde_json::json!(["security", "cloudflare", "credentials"]));
    props.insert("precision".to_string(), serde_json::json!("high"));
    ReportingDescriptor::builder()
        .id(r.id.clone())
        .name(pascal_case(&r.id))
        .short_description(text(&r.summary))
        .full_description(text(&r.why))
        .help(
            MultiformatMessageString::builder()
                .text(r.fix.clone())
                .markdown(format!("**{}**\n\n{}\n\n**Fix:** {}", r.summary, r.why, r.fix))
                .build(),
        )
        .default_configuration(
            serde_sarif::sarif::ReportingConfiguration::builder()
                .level(serde_json::json!(level_str(r.severity)))
                .build(),
        )
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build()
}

fn level_str(s: Severity) -> &'static str {
    match level(s) {
        ResultLevel::Error => "error",
        ResultLevel::Warning => "warning",
        _ => "note",
    }
}

fn sarif_result(f: &Finding, rule_index: Option<usize>, uri_prefix: &str) -> SarifResult {
    let region = Region::builder()
        .start_line(f.line as i64)
        .start_column(f.column as i64)
        .end_line(f.end_line.max(f.line) as i64)
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(uri(uri_prefix, &f.path)).build())
                .region(region)
                .build(),
        )
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());
    if let Some(h) = &f.history {
        // The same line introduced by two commits is two results to track.
        fingerprints.insert("commitSha/v1".to_string(), h.commit.clone());
    }
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
    let builder = SarifResult::builder()
        .rule_id(f.rule.clone())
        .level(level(f.severity))
        .message(Message::from(message.as_str()))
        .locations(vec![location])
        .partial_fingerprints(fingerprints);
    let properties = f.history.as_ref().map(|h| {
        let mut props = BTreeMap::new();
        props.insert("commit".to_string(), serde_json::Value::from(h.commit.clone()));
        props.insert("authorDate".to_string(), serde_json::Value::from(h.date.clone()));
        props.insert("atHead".to_string(), serde_json::Value::from(h.at_head));
        PropertyBag::builder().additional_properties(props).build()
    });
    match (rule_index, properties) {
        (Some(i), Some(p)) => builder.rule_index(i as i64).properties(p).build(),
        (Some(i), None) => builder.rule_index(i as i64).build(),
        (None, Some(p)) => builder.properties(p).build(),
        (None, None) => builder.build(),
    }
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.to_string()).build()
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
fn uri(prefix: &str, path: &str) -> String {
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
