//! `scopesmith check --policy PATH`: the permissions the code needs against the ones a
//! committed token policy grants.
//!
//! Takes the plan of the scanned tree and the tokens of the policy (`policy_file.rs`), pairs
//! each token with the credential it is for (named after it, `--credential`, or the only
//! one), and reports per token: each need it does not meet (a call site whose endpoint accepts
//! none of the token's groups, or a group granted on other resources than the code touches),
//! each group no code needs (drift), and each group that can mint or widen access. A need is
//! an endpoint's "any one of" list, not the plan's chosen group, so a policy granting DNS Write
//! where the plan picked DNS Read is not flagged. With `--diff-base` only needs whose call site
//! is on an added line, and drift in a policy file the change touched, are kept.
//! Rendering is in `render.rs`; nothing here prints.

pub mod policy_file;
pub mod render;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::infer::{CredentialPlan, Plan};
use crate::policy::escalation::{self, EscalationWarning};
use crate::rules::model::Scope;
use crate::rules::Knowledge;
use policy_file::{CommittedToken, Granted, GroupRef};

/// What one call (or one tool profile) needs: any one of `groups`, on `resources`.
#[derive(Debug, Clone, Serialize)]
pub struct Need {
    /// `GET /zones/{zone_id}/dns_records` or the tool's reason.
    pub what: String,
    pub groups: Vec<String>,
    pub scope: Scope,
    /// Zone ids or names, account ids the code names; empty: not known.
    pub resources: Vec<String>,
    /// `path:line` of each call site.
    pub sites: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Gap {
    /// No group the call accepts is granted.
    MissingGroup { need: Need },
    /// A group is granted, but not on this resource.
    MissingResource { need: Need, group: String, resource: String },
}

impl Gap {
    pub fn need(&self) -> &Need {
        match self {
            Gap::MissingGroup { need } | Gap::MissingResource { need, .. } => need,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Gap::MissingGroup { need } => format!(
                "{} needs {} , which the policy does not grant",
                need.what,
                if need.groups.len() == 1 {
                    need.groups[0].clone()
                } else {
                    format!("one of {}", need.groups.join(", "))
                }
            )
            .replace(" ,", ","),
            Gap::MissingResource { need, group, resource } => {
                format!("{} needs {group} on {resource}; the policy grants {group} on other resources only", need.what)
            }
        }
    }

    /// The smallest policy change that closes the gap.
    pub fn fix(&self) -> String {
        match self {
            Gap::MissingGroup { need } => {
                let g = preferred(&need.groups);
                format!("add {g} to the token's permission groups")
            }
            Gap::MissingResource { group, resource, .. } => format!("grant {group} on {resource} too"),
        }
    }
}

/// The group to suggest from an "any one of" list: a Read before a Write, the first otherwise.
pub fn preferred(groups: &[String]) -> String {
    groups.iter().find(|g| g.ends_with(" Read")).or(groups.first()).cloned().unwrap_or_default()
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenCheck {
    pub token: String,
    pub label: String,
    pub file: String,
    pub line: usize,
    pub credentials: Vec<String>,
    pub gaps: Vec<Gap>,
    /// Granted groups no need of its credentials accepts.
    pub unused: Vec<String>,
    pub escalations: Vec<EscalationWarning>,
    /// Groups the policy names that cannot be compared (unknown ids, expressions).
    pub unreadable: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct CheckReport {
    pub tokens: Vec<TokenCheck>,
    /// Credentials of the plan no token of the policy is for.
    pub unchecked: Vec<String>,
    /// Tokens of the policy no credential could be paired with.
    pub unpaired: Vec<String>,
    /// Set with `--diff-base`.
    pub diff_base: Option<String>,
}

impl CheckReport {
    pub fn fails(&self) -> bool {
        self.tokens.iter().any(|t| !t.gaps.is_empty())
    }
}

/// Everything a credential's code needs.
pub fn needs(c: &CredentialPlan, k: &Knowledge) -> Vec<Need> {
    let scope_of =
        |groups: &[String]| groups.iter().find_map(|g| k.groups.get(g).map(|g| g.scope)).unwrap_or(Scope::Zone);
    let resources_for = |groups: &[String], scope: Scope| -> Vec<String> {
        c.permissions
            .iter()
            .find(|p| groups.contains(&p.name))
            .or_else(|| c.permissions.iter().find(|p| p.scope == scope))
            .map(|p| p.resources.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for e in c.endpoints.iter().filter(|e| !e.accepted.is_empty()) {
        let scope = scope_of(&e.accepted);
        out.push(Need {
            what: format!("{} {}", e.method, e.path),
            groups: e.accepted.clone(),
            scope,
            resources: resources_for(&e.accepted, scope),
            sites: e.sites.clone(),
        });
    }
    // Grants the plan made for a tool profile or a managed resource, not an endpoint.
    let covered: BTreeSet<&str> = c.endpoints.iter().flat_map(|e| e.accepted.iter().map(String::as_str)).collect();
    for g in c.permissions.iter().filter(|g| !covered.contains(g.name.as_str())) {
        out.push(Need {
            what: g.because.first().cloned().unwrap_or_else(|| g.name.clone()),
            groups: vec![g.name.clone()],
            scope: g.scope,
            resources: g.resources.iter().map(|r| r.to_string()).collect(),
            sites: c.sites.iter().map(|s| format!("{}:{}", s.path, s.line)).collect(),
        });
    }
    out
}

/// Does a granted resource cover `resource` (a zone id or name, an account id) at `scope`?
/// An empty `resource` (not known from the code) is covered by any resource of the scope.
fn covers(granted: &Granted, scope: Scope, resource: Option<&str>) -> bool {
    match (scope, granted) {
        (Scope::Zone, Granted::Zone(z)) => z == "*" || resource.is_none_or(|r| r == z || !is_id(r)),
        (Scope::Zone, Granted::ZonesOf(_)) => true,
        (Scope::Account, Granted::Account(a)) => a == "*" || resource.is_none_or(|r| r == a),
        (Scope::Account, Granted::ZonesOf(a)) => a == "*" || resource.is_none_or(|r| r == a),
        (Scope::User, Granted::User(_)) => true,
        // A template key (`${var.zone}`) cannot be compared: give it the benefit of the doubt.
        (_, Granted::Zone(z) | Granted::Account(z)) if z.contains("${") => true,
        _ => false,
    }
}

fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks one token against the needs of its credentials.
pub fn check_token(t: &CommittedToken, creds: &[&CredentialPlan], k: &Knowledge) -> TokenCheck {
    let needs: Vec<Need> = creds.iter().flat_map(|c| needs(c, k)).collect();
    let granted_names: Vec<String> =
        t.groups().iter().filter_map(|g| if let GroupRef::Name(n) = g { Some(n.clone()) } else { None }).collect();
    let unreadable: Vec<String> =
        t.groups().iter().filter(|g| !matches!(g, GroupRef::Name(_))).map(|g| g.label()).collect();
    let mut gaps = Vec::new();
    for n in &needs {
        let holding: Vec<&policy_file::CommittedPolicy> = t
            .policies
            .iter()
            .filter(|p| p.allow && p.groups.iter().any(|g| matches!(g, GroupRef::Name(x) if n.groups.contains(x))))
            .collect();
        if holding.is_empty() {
            // An unreadable group might be the one: say so rather than fail on a guess.
            if unreadable.is_empty() {
                gaps.push(Gap::MissingGroup { need: n.clone() });
            }
            continue;
        }
        let wanted: Vec<Option<&str>> =
            if n.resources.is_empty() { vec![None] } else { n.resources.iter().map(|r| Some(r.as_str())).collect() };
        for r in wanted {
            if !holding.iter().any(|p| p.resources.iter().any(|g| covers(g, n.scope, r))) {
                let group = holding[0]
                    .groups
                    .iter()
                    .find_map(|g| match g {
                        GroupRef::Name(x) if n.groups.contains(x) => Some(x.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let resource = match (n.scope, r) {
                    (Scope::Zone, Some(z)) => format!("zone {z}"),
                    (Scope::Account, Some(a)) => format!("account {a}"),
                    (s, _) => format!("the {} it works in", s.as_str()),
                };
                gaps.push(Gap::MissingResource { need: n.clone(), group, resource });
            }
        }
    }
    let accepted: BTreeSet<&str> = needs.iter().flat_map(|n| n.groups.iter().map(String::as_str)).collect();
    let unused: Vec<String> = granted_names.iter().filter(|g| !accepted.contains(g.as_str())).cloned().collect();
    let escalations = escalation::flag(granted_names.iter().map(String::as_str));
    let mut notes = Vec::new();
    if !unreadable.is_empty() {
        notes.push(format!(
            "cannot tell which permission group {} {}: name the group in the policy (or run `scopesmith catalog sync`), so missing groups can be judged",
            unreadable.join(", "),
            if unreadable.len() == 1 { "is" } else { "are" }
        ));
    }
    for c in creds {
        if !c.unresolved.is_empty() {
            notes.push(format!(
                "the plan of {} is incomplete ({} call{} unresolved): what those calls need is not checked",
                c.name,
                c.unresolved.len(),
                if c.unresolved.len() == 1 { "" } else { "s" }
            ));
        }
    }
    TokenCheck {
        token: t.name.clone(),
        label: t.label.clone(),
        file: t.file.clone(),
        line: t.line,
        credentials: creds.iter().map(|c| c.name.clone()).collect(),
        gaps,
        unused,
        escalations,
        unreadable,
        notes,
    }
}

/// Pairs tokens with credentials and checks each pair. `only`: the credentials named with
/// `--credential` (every token is checked against them).
pub fn check(
    plan: &Plan,
    tokens: &[CommittedToken],
    only: &[String],
    k: &Knowledge,
) -> Result<CheckReport, crate::Error> {
    let mut report = CheckReport::default();
    let mut used: BTreeSet<String> = BTreeSet::new();
    if !only.is_empty() {
        let mut chosen = Vec::new();
        for name in only {
            match plan.credentials.iter().find(|c| &c.name == name) {
                Some(c) => chosen.push(c),
                None => {
                    let known: Vec<&str> = plan.credentials.iter().map(|c| c.name.as_str()).collect();
                    return Err(crate::Error::Usage {
                        message: format!("--credential {name}: no such credential in the plan"),
                        help: format!("the plan's credentials are: {}", known.join(", ")),
                    });
                }
            }
        }
        for t in tokens {
            report.tokens.push(check_token(t, &chosen, k));
        }
        used.extend(chosen.iter().map(|c| c.name.clone()));
    } else {
        for t in tokens {
            let hay = format!("{} {}", t.name, t.label).to_ascii_lowercase();
            let mut creds: Vec<&CredentialPlan> = plan
                .credentials
                .iter()
                .filter(|c| {
                    let n = c.name.to_ascii_lowercase();
                    hay.contains(&n) || hay.contains(&crate::policy::slug(&c.name))
                })
                .collect();
            if creds.is_empty() && tokens.len() == 1 && plan.credentials.len() == 1 {
                creds = plan.credentials.iter().collect();
            }
            if creds.is_empty() {
                report.unpaired.push(if t.name.is_empty() { t.label.clone() } else { t.name.clone() });
                continue;
            }
            used.extend(creds.iter().map(|c| c.name.clone()));
            report.tokens.push(check_token(t, &creds, k));
        }
    }
    report.unchecked = plan.credentials.iter().filter(|c| !used.contains(&c.name)).map(|c| c.name.clone()).collect();
    // A gate that compares nothing must not pass quietly.
    if report.tokens.is_empty() && !plan.credentials.is_empty() {
        let known: Vec<&str> = plan.credentials.iter().map(|c| c.name.as_str()).collect();
        return Err(crate::Error::Usage {
            message: format!(
                "no token of the policy is named after a credential of the plan ({})",
                report.unpaired.join(", ")
            ),
            help: format!(
                "say which credential the policy is for with --credential NAME; the plan's credentials are: {}",
                known.join(", ")
            ),
        });
    }
    Ok(report)
}

/// `--diff-base`: keeps gaps with a call site on an added line, and drift and escalations of a
/// policy file the change touched (`policy_changed`).
pub fn narrow(report: &mut CheckReport, changes: &crate::ci::diff::Changes, policy_changed: &dyn Fn(&str) -> bool) {
    for t in &mut report.tokens {
        t.gaps.retain(|g| {
            g.need().sites.iter().any(|s| {
                s.rsplit_once(':')
                    .and_then(|(p, l)| l.parse().ok().map(|l| (p, l)))
                    .is_some_and(|(p, l)| changes.contains(p, l))
            })
        });
        if !policy_changed(&t.file) {
            t.unused.clear();
            t.escalations.clear();
        }
    }
}
