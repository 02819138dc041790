//! `check` output: a reviewer's text, JSON, a Markdown pull-request comment body, and SARIF
//! (one result per gap at the call site that needs it, per unused or escalating group at the
//! token's definition). Every form passes `redact::scrub`.

use std::fmt::Write;

use serde_json::{json, Value};

use super::{CheckReport, TokenCheck};

fn title(t: &TokenCheck) -> String {
    if t.token.is_empty() {
        t.label.clone()
    } else {
        format!("{} ({})", t.token, t.label)
    }
}

pub fn human(r: &CheckReport) -> String {
    let mut s = String::new();
    if let Some(rev) = &r.diff_base {
        let _ = writeln!(s, "only what the change since {rev} adds:");
    }
    for t in &r.tokens {
        let _ = writeln!(s, "token {}  {}:{}  for {}", title(t), t.file, t.line, t.credentials.join(", "));
        for g in &t.gaps {
            let _ = writeln!(s, "  error: {}", g.message());
            for site in &g.need().sites {
                let _ = writeln!(s, "    needed at {site}");
            }
            let _ = writeln!(s, "    fix: {}", g.fix());
        }
        for u in &t.unused {
            let _ = writeln!(
                s,
                "  warning: {u} is granted but no code of {} needs it (drift): remove it",
                t.credentials.join(", ")
            );
        }
        for e in &t.escalations {
            let _ = writeln!(s, "  warning: escalation: {}", e.message());
        }
        for n in &t.notes {
            let _ = writeln!(s, "  note: {n}");
        }
        if t.gaps.is_empty() && t.unused.is_empty() && t.escalations.is_empty() {
            let _ = writeln!(s, "  ok: the policy grants what the code needs, and nothing more");
        }
    }
    for u in &r.unpaired {
        let _ = writeln!(
            s,
            "note: token `{u}` is not named after any credential of the plan: pass --credential NAME to check it"
        );
    }
    for c in &r.unchecked {
        let _ = writeln!(s, "note: credential {c} has no token in the policy: not checked");
    }
    let gaps: usize = r.tokens.iter().map(|t| t.gaps.len()).sum();
    let drift: usize = r.tokens.iter().map(|t| t.unused.len()).sum();
    let _ = writeln!(
        s,
        "{gaps} missing permission{}, {drift} unused group{}",
        if gaps == 1 { "" } else { "s" },
        if drift == 1 { "" } else { "s" }
    );
    crate::report::redact::scrub(&s)
}

pub fn json(r: &CheckReport) -> String {
    let doc = serde_json::json!({
        "version": 1,
        "tool": {"name": "scopesmith", "version": env!("CARGO_PKG_VERSION")},
        "fails": r.fails(),
        "diff_base": r.diff_base,
        "tokens": r.tokens,
        "unchecked": r.unchecked,
        "unpaired": r.unpaired,
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("check reports always serialise");
    out.push('\n');
    crate::report::redact::scrub(&out)
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;").replace('`', "'").replace(['\n', '\r'], " ")
}

/// A pull-request comment body (GitHub-flavoured Markdown).
pub fn markdown(r: &CheckReport) -> String {
    let mut s = String::from("## scopesmith: permissions needed vs granted\n\n");
    let gaps: usize = r.tokens.iter().map(|t| t.gaps.len()).sum();
    if let Some(rev) = &r.diff_base {
        let _ = writeln!(s, "Only what this change adds since `{}`.\n", cell(rev));
    }
    if gaps == 0 {
        s.push_str("**No missing permission:** the committed policy grants what the code needs.\n\n");
    } else {
        let _ = writeln!(
            s,
            "**{gaps} missing permission{}:** the token would be denied (error 10000) at these calls.\n",
            if gaps == 1 { "" } else { "s" }
        );
        s.push_str("| Token | Call | Needed at | Missing | Policy change |\n| --- | --- | --- | --- | --- |\n");
        for t in &r.tokens {
            for g in &t.gaps {
                let sites: Vec<String> = g.need().sites.iter().map(|x| format!("`{}`", cell(x))).collect();
                let missing = match g {
                    super::Gap::MissingGroup { need } => need.groups.join(" or "),
                    super::Gap::MissingResource { group, resource, .. } => format!("{group} on {resource}"),
                };
                let _ = writeln!(
                    s,
                    "| {} | `{}` | {} | {} | {} |",
                    cell(&title(t)),
                    cell(&g.need().what),
                    sites.join("<br>"),
                    cell(&missing),
                    cell(&g.fix())
                );
            }
        }
        s.push('\n');
    }
    let warnings: Vec<String> = r
        .tokens
        .iter()
        .flat_map(|t| {
            t.unused
                .iter()
                .map(move |u| {
                    format!("- {}: **{}** is granted but no code needs it (drift): remove it", cell(&title(t)), cell(u))
                })
                .chain(
                    t.escalations
                        .iter()
                        .map(move |e| format!("- {}: **escalation**: {}", cell(&title(t)), cell(&e.message()))),
                )
                .chain(t.notes.iter().map(move |n| format!("- {}: {}", cell(&title(t)), cell(n))))
        })
        .collect();
    if !warnings.is_empty() {
        s.push_str("**Warnings**\n\n");
        for w in warnings {
            s.push_str(&w);
            s.push('\n');
        }
        s.push('\n');
    }
    for c in &r.unchecked {
        let _ = writeln!(s, "_{} has no token in the policy: not checked._", cell(c));
    }
    crate::report::redact::scrub(&s)
}

const RULES: &[(&str, &str, &str, &str)] = &[
    (
        "missing-permission",
        "The code needs a permission group or resource the committed token policy lacks",
        "A token without it is denied at this call (Cloudflare answers 10000 Authentication error).",
        "error",
    ),
    (
        "unused-permission",
        "The committed token policy grants a permission group no code needs",
        "Every unused group widens what a leaked token can do.",
        "warning",
    ),
    (
        "escalating-permission",
        "The committed token policy grants a group that can mint or widen access",
        "Its holder can create credentials or grant access beyond the token's own groups.",
        "warning",
    ),
];

fn location(uri: &str, line: usize) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": crate::report::sarif::uri("", uri) },
            "region": { "startLine": line.max(1) },
        }
    })
}

fn result(rule: usize, message: String, loc: Value, loc_key: &str) -> Value {
    let level = if RULES[rule].3 == "error" { "error" } else { "warning" };
    let fingerprint = crate::scan::detect::fingerprint(RULES[rule].0, loc_key, &message);
    json!({
        "ruleId": RULES[rule].0,
        "ruleIndex": rule,
        "level": level,
        "message": { "text": message },
        "locations": [loc],
        "partialFingerprints": { crate::report::sarif::FINGERPRINT_KEY: fingerprint },
    })
}

/// SARIF 2.1.0: gaps at their call sites, drift and escalations at the token's definition.
/// `policy_uri` turns the policy file path into a repository-relative one. Plain JSON values,
/// as the scan's SARIF reporter builds them.
pub fn sarif(r: &CheckReport, policy_uri: &dyn Fn(&str) -> String, site_prefix: &str) -> String {
    let descriptors: Vec<Value> = RULES
        .iter()
        .map(|(id, short, full, level)| {
            json!({
                "id": id,
                "shortDescription": { "text": short },
                "fullDescription": { "text": full },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in &r.tokens {
        for g in &t.gaps {
            for site in &g.need().sites {
                let (path, line) = site.rsplit_once(':').map(|(p, l)| (p, l.parse().unwrap_or(1))).unwrap_or((site, 1));
                let uri = if site_prefix.is_empty() { path.to_string() } else { format!("{site_prefix}/{path}") };
                results.push(result(
                    0,
                    format!("{} (token {}). Fix: {}", g.message(), title(t), g.fix()),
                    location(&uri, line),
                    &uri,
                ));
            }
        }
        for u in &t.unused {
            results.push(result(
                1,
                format!("{u} is granted to {} but no code needs it: remove it", title(t)),
                location(&policy_uri(&t.file), t.line),
                &t.file,
            ));
        }
        for e in &t.escalations {
            results.push(result(
                2,
                format!("{} (token {})", e.message(), title(t)),
                location(&policy_uri(&t.file), t.line),
                &t.file,
            ));
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "scopesmith",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": descriptors,
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).expect("JSON values always serialise");
    out.push('\n');
    crate::report::redact::scrub(&out)
}
