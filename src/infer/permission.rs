//! The smallest set of permission groups that satisfies every requirement, where each
//! requirement accepts any one of several groups (Cloudflare's "Accepted Permissions").
//!
//! Exact branch and bound: requirement sets are few and small per credential. Fewer groups
//! win; among equally many, Read beats Write; among equals, the group the catalog lists first.

/// Cost of granting `group`: a Write (or Edit, Admin) group costs a little more than a Read.
fn cost(group: &str) -> u32 {
    let broad = ["Write", "Edit", "Admin", "Revoke"].iter().any(|w| group.ends_with(w));
    10 + u32::from(broad)
}

/// Indexes into `requirements` are kept out of the answer: it is a sorted list of groups.
pub fn minimal_cover(requirements: &[Vec<String>]) -> Vec<String> {
    let mut reqs: Vec<&Vec<String>> = requirements.iter().filter(|r| !r.is_empty()).collect();
    // A requirement whose accepted set contains another's is covered whenever that one is.
    reqs.sort_by_key(|r| r.len());
    let mut kept: Vec<&Vec<String>> = Vec::new();
    for r in reqs {
        if !kept.iter().any(|k| k.iter().all(|g| r.contains(g))) {
            kept.push(r);
        }
    }
    let mut best: Option<(u32, Vec<String>)> = None;
    let mut chosen = Vec::new();
    search(&kept, &mut chosen, 0, &mut best);
    let mut out = best.map(|b| b.1).unwrap_or_default();
    out.sort();
    out
}

fn search(reqs: &[&Vec<String>], chosen: &mut Vec<String>, spent: u32, best: &mut Option<(u32, Vec<String>)>) {
    if best.as_ref().is_some_and(|(c, _)| spent >= *c) {
        return;
    }
    // The uncovered requirement with the fewest options branches least.
    let next = reqs.iter().filter(|r| !r.iter().any(|g| chosen.contains(g))).min_by_key(|r| r.len());
    let Some(req) = next else {
        *best = Some((spent, chosen.clone()));
        return;
    };
    for g in req.iter() {
        chosen.push(g.clone());
        search(reqs, chosen, spent + cost(g), best);
        chosen.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(groups: &[&str]) -> Vec<String> {
        groups.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn write_covers_listing_and_read_is_preferred_alone() {
        let list = v(&["DNS Read", "DNS Write"]);
        let create = v(&["DNS Write"]);
        assert_eq!(minimal_cover(&[list.clone(), create]), v(&["DNS Write"]));
        assert_eq!(minimal_cover(&[list]), v(&["DNS Read"]));
    }

    #[test]
    fn a_broad_zone_get_rides_on_a_needed_group() {
        let zone_get = v(&["Zone Read", "Zone Write", "DNS Read", "DNS Write", "Cache Purge"]);
        let purge = v(&["Cache Purge"]);
        assert_eq!(minimal_cover(&[zone_get.clone(), purge]), v(&["Cache Purge"]));
        assert_eq!(minimal_cover(&[zone_get]), v(&["Zone Read"]));
    }

    #[test]
    fn disjoint_needs_each_get_a_group() {
        let zones = v(&["Zone Read"]);
        let records = v(&["DNS Write"]);
        assert_eq!(minimal_cover(&[zones, records]), v(&["DNS Write", "Zone Read"]));
    }
}
