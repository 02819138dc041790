//! Calls on a known SDK client that no SDK map knows: listed as unresolved, never dropped.
//!
//! The client variable is the name assigned on the line where a finding saw the client built
//! from the key (`cf = CloudFlare.CloudFlare(...)`, `api, err := cloudflare.New(...)`,
//! `const cf = new Cloudflare({...})`). Every member-chain call on that name
//! (`cf.zeroTrust.gateway.rules.list(`, whitespace and newlines between members allowed) on a
//! line where the maps found no call is reported.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::callsite::CallSite;
use super::model::{Unresolved, UnresolvedKind};
use crate::finding::{Finding, Kind};
use crate::rules::knowledge::SdkMap;
use crate::scan::lines::Lines;

/// `name =`, `name :=`, `name, err :=`, `const name =`, `$name =`, `let name =`.
static CLIENT_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:(?:const|let|var|val|final|private|public|readonly)\s+)*(?:self\.|this\.|@|\$)?([A-Za-z_]\w*)(?:\s*,\s*[A-Za-z_]\w*)*\s*(?::=|=)[^=]")
        .expect("client variable pattern")
});

/// Methods every language's objects have, that reach no API.
const NOT_API: &[&str] = &["close", "clone", "to_string", "toString", "then", "catch", "with_options", "withOptions"];

/// The client variables built from the key in `path`.
fn clients(path: &str, text: &str, lines: &Lines, sites: &[Finding]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in sites.iter().filter(|f| f.path == path && f.kind == Kind::Sdk) {
        // The assignment is on the finding's line or, for a multi-line construction, a few
        // lines above it.
        for l in (f.line.saturating_sub(4)..=f.line).rev() {
            if l == 0 || l > lines.count() {
                continue;
            }
            if let Some(c) = CLIENT_VAR.captures(lines.text(text, l - 1)) {
                out.insert(c[1].to_string());
                break;
            }
        }
    }
    out
}

pub fn unknown(
    path: &str,
    text: &str,
    lines: &Lines,
    sites: &[Finding],
    sdks: &[&SdkMap],
    found: &[CallSite],
) -> Vec<Unresolved> {
    let vars = clients(path, text, lines, sites);
    if vars.is_empty() || sdks.is_empty() {
        return Vec::new();
    }
    let known_lines: BTreeSet<usize> = found.iter().filter(|c| c.via.starts_with("sdk:")).map(|c| c.line).collect();
    let names: Vec<String> = vars.iter().map(|v| regex::escape(v)).collect();
    let pattern = format!(
        r"(?:^|[^\w.$>])\$?(?:{})\s*(?:\.|->|::)\s*([A-Za-z_]\w*(?:\s*(?:\.|->|::)\s*[A-Za-z_]\w*)*)\s*\(",
        names.join("|")
    );
    let Ok(re) = Regex::new(&pattern) else { return Vec::new() };
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        let Some(m) = c.get(1) else { continue };
        let chain: String = m.as_str().split_whitespace().collect();
        let last = chain.rsplit(['.', '>', ':']).next().unwrap_or(&chain);
        if NOT_API.contains(&last) {
            continue;
        }
        let start = lines.line_of(m.start()) + 1;
        let end = lines.line_of(m.end()) + 1;
        if (start..=end).any(|l| known_lines.contains(&l)) {
            continue;
        }
        out.push(Unresolved {
            path: path.to_string(),
            line: start,
            method: String::new(),
            call: chain,
            kind: UnresolvedKind::UnknownSdkMember,
            reason: format!(
                "a call on the {} client that no SDK map knows: add it to rules/sdk/ or check its permission by hand",
                sdks.iter().map(|s| s.sdk.as_str()).collect::<Vec<_>>().join("/")
            ),
        });
    }
    out
}
