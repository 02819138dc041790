//! GraphQL Analytics: one endpoint, many datasets. The group a query needs follows its
//! dataset: zone datasets (`viewer { zones(...) { ... } }`) need Analytics Read, account
//! datasets (`viewer { accounts(...) { ... } }`) need Account Analytics Read.

use std::sync::LazyLock;

use regex::Regex;

use super::model::GraphqlDatasetSpec;

static ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(zones|accounts)\s*\(\s*(?:filter|limit)").expect("graphql root pattern"));

/// What a file's GraphQL queries need: accepted groups with the reason, per dataset root found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GraphqlNeeds {
    pub needs: Vec<(Vec<String>, String)>,
    /// False when no root node and no dataset name was recognised in the file.
    pub identified: bool,
}

/// The needs of the GraphQL queries written in `text` (the file that posts to `/graphql`).
pub fn needs(datasets: &[GraphqlDatasetSpec], text: &str) -> GraphqlNeeds {
    let mut roots: Vec<&str> = ROOT.captures_iter(text).filter_map(|c| c.get(1)).map(|m| m.as_str()).collect();
    let mut named: Vec<(&str, &str)> = Vec::new();
    for d in datasets {
        for n in &d.names {
            if contains_word(text, n) {
                named.push((d.root.as_str(), n.as_str()));
            }
        }
    }
    if roots.is_empty() {
        // A dataset name listed under one root only places the query.
        for (root, name) in &named {
            if named.iter().filter(|(_, n)| n == name).count() == 1 {
                roots.push(root);
            }
        }
    }
    roots.sort();
    roots.dedup();
    let mut out = GraphqlNeeds { needs: Vec::new(), identified: !roots.is_empty() };
    for root in roots {
        let Some(d) = datasets.iter().find(|d| d.root == root) else { continue };
        let names: Vec<&str> = named.iter().filter(|(r, _)| *r == root).map(|(_, n)| *n).collect();
        let what = if names.is_empty() { format!("{root} {{ ... }}") } else { names.join(", ") };
        out.needs.push((d.groups.clone(), format!("GraphQL {root} dataset ({what})")));
    }
    out
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets() -> Vec<GraphqlDatasetSpec> {
        vec![
            GraphqlDatasetSpec {
                root: "zones".into(),
                groups: vec!["Analytics Read".into()],
                names: vec!["httpRequests1dGroups".into()],
            },
            GraphqlDatasetSpec {
                root: "accounts".into(),
                groups: vec!["Account Analytics Read".into()],
                names: vec!["workersInvocationsAdaptive".into()],
            },
        ]
    }

    #[test]
    fn the_root_node_names_the_group() {
        let q = "query { viewer { accounts(filter: {accountTag: $a}) { workersInvocationsAdaptive(limit: 10) { sum { requests } } } } }";
        let n = needs(&sets(), q);
        assert!(n.identified);
        assert_eq!(n.needs.len(), 1);
        assert_eq!(n.needs[0].0, vec!["Account Analytics Read".to_string()]);
        let z = needs(
            &sets(),
            "viewer { zones(filter: { zoneTag: $tag }) { httpRequests1dGroups(limit: 7) { sum { bytes } } } }",
        );
        assert_eq!(z.needs[0].0, vec!["Analytics Read".to_string()]);
    }

    #[test]
    fn a_dataset_name_alone_places_the_query_and_nothing_means_unidentified() {
        let n = needs(&sets(), "const DATASET = 'workersInvocationsAdaptive';");
        assert_eq!(n.needs[0].0, vec!["Account Analytics Read".to_string()]);
        let none = needs(&sets(), "fetch('/graphql', {body: query})");
        assert!(!none.identified);
        assert!(none.needs.is_empty());
    }
}
