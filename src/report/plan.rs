//! Renders a `Plan`: JSON (the documented contract) and a reviewer's human view, where each
//! permission is followed by the calls that justify it.

use std::fmt::Write;

use crate::infer::Plan;

pub fn json(plan: &Plan) -> String {
    json_with_source(plan, None).into_string()
}

/// The plan JSON stamped with `source: {repository, commit}` when known.
pub fn json_with_source(plan: &Plan, source: Option<&super::provenance::Source>) -> super::redact::Scrubbed {
    let mut doc = serde_json::json!({
        "version": 1,
        "tool": {"name": "scopesmith", "version": env!("CARGO_PKG_VERSION")},
        "credentials": plan.credentials,
    });
    if let Some(s) = source {
        doc["source"] = serde_json::json!(s);
    }
    let mut out = serde_json::to_string_pretty(&doc).expect("plans always serialise");
    out.push('\n');
    super::redact::Scrubbed::new(&out)
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
