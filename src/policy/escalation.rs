//! Escalation warnings: permission groups that let a token's holder mint credentials or widen
//! who can do what (API Tokens Write, Memberships Write, Account Settings Write, ...), as listed
//! in `rules/targets/escalation.yaml`. Flagged for planned tokens (`plan`, the report) and for
//! committed ones (`check`), each with why.

use serde::Serialize;

use super::targets;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EscalationWarning {
    pub group: String,
    pub why: String,
}

impl EscalationWarning {
    pub fn message(&self) -> String {
        format!("{} can mint or widen access: {}", self.group, self.why)
    }
}

/// The groups of `groups` that can mint or widen access, in the order given.
pub fn flag<'a>(groups: impl IntoIterator<Item = &'a str>) -> Vec<EscalationWarning> {
    let mut out: Vec<EscalationWarning> = Vec::new();
    for g in groups {
        if let Some(e) = targets::escalation(g) {
            if !out.iter().any(|w| w.group == e.group) {
                out.push(EscalationWarning { group: e.group.clone(), why: e.why.clone() });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_minting_groups_are_flagged_and_others_are_not() {
        let w = flag(["DNS Write", "API Tokens Write", "Memberships Write", "Zone Read", "Account Settings Write"]);
        let names: Vec<&str> = w.iter().map(|w| w.group.as_str()).collect();
        assert_eq!(names, ["API Tokens Write", "Memberships Write", "Account Settings Write"]);
        assert!(w[0].why.contains("mint"));
        assert!(flag(["DNS Write", "Cache Purge", "Account Settings Read"]).is_empty());
        assert_eq!(flag(["Access: Organizations, Identity Providers, and Groups Write"]).len(), 1);
    }
}
