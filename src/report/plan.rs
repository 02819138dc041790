//! Renders a `Plan`: JSON (the documented contract) and a reviewer's human view, where each
//! permission is followed by the calls that justify it.

use std::fmt::Write;

use crate::infer::Plan;

pub fn json(plan: &Plan) -> String {
    json_with_source(plan, None, 1).into_string()
}

/// Where the credentials go in the document's text (a string no plan holds: JSON escapes NUL).
const SLOT: &str = "\"\\u0000credentials\\u0000\"";

/// The plan JSON stamped with `source: {repository, commit}` when known. Each credential is
/// rendered and scrubbed on its own, on `threads` threads (megabytes on a large tree); the
/// text is what `to_string_pretty` gives for the whole document, keys in serde_json's order.
pub fn json_with_source(
    plan: &Plan,
    source: Option<&super::provenance::Source>,
    threads: usize,
) -> super::redact::Scrubbed {
    use super::redact::Scrubbed;
    let mut doc = serde_json::json!({
        "version": 1,
        "tool": {"name": "scopesmith", "version": env!("CARGO_PKG_VERSION")},
        "credentials": "\u{0}credentials\u{0}",
    });
    if let Some(s) = source {
        doc["source"] = serde_json::json!(s);
    }
    let text = serde_json::to_string_pretty(&doc).expect("plans always serialise");
    let (before, after) = text.split_once(SLOT).expect("the document holds the credentials slot");
    let order: Vec<usize> = (0..plan.credentials.len()).collect();
    let items = crate::parallel::map(threads, &order, 8, |&i| {
        let item =
            serde_json::to_string_pretty(&serde_json::json!(plan.credentials[i])).expect("plans always serialise");
        // An item of the `credentials` array, one level deeper, after a comma but the first.
        let mut text = String::from(if i == 0 { "" } else { "," });
        for line in item.lines() {
            text.push_str("\n    ");
            text.push_str(line);
        }
        Scrubbed::new(&text)
    });
    let close = if items.is_empty() { "]" } else { "\n  ]" };
    let mut pieces = vec![Scrubbed::new(&format!("{before}["))];
    pieces.extend(items);
    pieces.push(Scrubbed::new(&format!("{close}{after}\n")));
    Scrubbed::joined(pieces)
}

/// The reviewer's view; `synced` names the `catalog sync` cache the group ids came from.
pub fn human(plan: &Plan, synced: Option<&std::path::Path>) -> String {
    let mut s = String::new();
    if plan.credentials.is_empty() {
        s.push_str("no legacy Global API Key use found: nothing to migrate\n");
        return s;
    }
    for shared in &plan.shared {
        let units: Vec<&str> = shared.consumers.iter().map(|c| c.0.as_str()).collect();
        let _ = writeln!(
            s,
            "one secret {}, {} consumers -> {} tokens: {}",
            shared.secret,
            units.len(),
            units.len(),
            units.join(", ")
        );
    }
    if !plan.shared.is_empty() {
        s.push('\n');
    }
    for c in &plan.credentials {
        let _ = writeln!(
            s,
            "credential {}{}{}",
            c.name,
            if c.hardcoded { "  (HARD-CODED: revoke it)" } else { "" },
            match (c.complete, c.unresolved.is_empty()) {
                (true, _) => "",
                (false, false) => "  (incomplete: see unresolved)",
                (false, true) => "  (incomplete: no call found)",
            }
        );
        let _ = writeln!(s, "  consumer: {}", c.id.consumer);
        let _ = writeln!(s, "  used at:");
        for site in &c.sites {
            let _ = writeln!(s, "    {}:{}  {} ({})", site.path, site.line, site.kind.as_str(), site.rule);
        }
        if c.permissions.is_empty() {
            let _ = writeln!(s, "  token needs: (nothing inferred)");
        } else {
            let _ = writeln!(s, "  token needs ({} scope):", c.scope);
            // The resources as the emitted token names them (`all zones of account <ACCOUNT_ID>`).
            let account = crate::policy::account_of(&c.permissions, &crate::policy::EmitOptions::default());
            for p in &c.permissions {
                let resources = crate::policy::resources_of(p, account.as_deref());
                let on = resources.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                let _ = writeln!(s, "    {}  on {on}", p.name);
                for why in &p.because {
                    let _ = writeln!(s, "      <- {why}");
                }
            }
        }
        if !c.linked.is_empty() {
            let _ = writeln!(s, "  calls also searched in:");
            for l in &c.linked {
                let _ = writeln!(s, "    {}  ({})", l.path, l.via);
            }
        }
        if !c.unresolved.is_empty() {
            let _ = writeln!(s, "  unresolved (the token may lack what these need):");
            for u in &c.unresolved {
                let _ = writeln!(s, "    {}:{}  {} {}  ({})", u.path, u.line, u.method, u.call, u.reason);
            }
        }
        for w in &c.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
        let groups: Vec<String> = c.permissions.iter().map(|g| g.name.clone()).collect();
        for line in super::targets::plan_lines(&c.name, &groups, c.collected.as_ref()) {
            let _ = writeln!(s, "  {line}");
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "{} credential{} to migrate",
        plan.credentials.len(),
        if plan.credentials.len() == 1 { "" } else { "s" }
    );
    if let Some(path) = synced {
        let _ = writeln!(s, "permission-group ids from the catalog sync cache {}", path.display());
    }
    // Names and paths come from the scanned tree: their control characters are shown.
    super::escape::controls_per_line(&super::redact::scrub(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `json_with_source` gave before it rendered credentials one by one: the whole
    /// document through `to_string_pretty`, then one scrub.
    fn whole(plan: &Plan, source: Option<&crate::report::provenance::Source>) -> String {
        let mut doc = serde_json::json!({
            "version": 1,
            "tool": {"name": "scopesmith", "version": env!("CARGO_PKG_VERSION")},
            "credentials": plan.credentials,
        });
        if let Some(s) = source {
            doc["source"] = serde_json::json!(s);
        }
        crate::report::redact::scrub(&format!("{}\n", serde_json::to_string_pretty(&doc).unwrap()))
    }

    #[test]
    fn credentials_rendered_side_by_side_give_the_whole_documents_text() {
        // A hard-coded key in a site path, to be masked in both renderings.
        let one = r#"{"complete": true, "endpoints": [{"accepted": ["Cache Purge"], "method": "POST",
            "operation": "cache.purge", "path": "/zones/{zone_id}/purge_cache", "sites": ["a/purge.py:3"],
            "token_supported": true}], "hardcoded": true, "id": {"consumer": "a", "secret": "CF_API_KEY"},
            "name": "CF_API_KEY", "permissions": [{"because": ["POST /zones/{zone_id}/purge_cache (a/purge.py:3)"],
            "name": "Cache Purge", "resources": ["9ccbd2aceda6d53871972ffb356fbd01"], "scope": "zone"}],
            "scope": "zone", "sites": [{"kind": "literal", "line": 2, "path": "a/k_3f1e0c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5",
            "rule": "global-key-literal"}], "unresolved": [], "warnings": ["a \"quoted\" note"]}"#;
        let two = r#"{"complete": false, "endpoints": [], "hardcoded": false, "id": {"consumer": "b", "secret": "KEY"},
            "name": "KEY", "permissions": [], "scope": "none", "sites": [], "unresolved": [], "warnings": []}"#;
        let source =
            crate::report::provenance::Source { repository: "org/repo".into(), commit: Some("0123456789ab".into()) };
        for list in [vec![], vec![one], vec![one, two], vec![two, one, two]] {
            let credentials = list.iter().map(|c| serde_json::from_str(c).unwrap()).collect();
            let plan = Plan { credentials, shared: Vec::new() };
            for threads in [1, 2, 3] {
                for source in [None, Some(&source)] {
                    assert_eq!(json_with_source(&plan, source, threads).into_string(), whole(&plan, source));
                }
            }
        }
        let masked = json_with_source(
            &Plan { credentials: vec![serde_json::from_str(one).unwrap()], shared: Vec::new() },
            None,
            2,
        );
        assert!(!masked.as_str().contains("3f1e0c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5"), "{}", masked.as_str());
    }
}
