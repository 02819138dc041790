//! Files that `report` is given but did not write: a SARIF log, another scanner's JSON. Said
//! plainly, with what to pass instead, rather than "missing field" from deep in the shape.

use serde_json::Value;

/// Why `value` is not a saved scopesmith result, when it is recognisably something else.
pub fn describe(value: &Value) -> Option<String> {
    let sarif = value.get("runs").is_some_and(Value::is_array)
        && (value.get("version").is_some()
            || value.get("$schema").and_then(Value::as_str).is_some_and(|s| s.contains("sarif")));
    if sarif {
        return Some(
            "this is a SARIF log, not a saved scopesmith result: `report` reads the JSON of \
             `scopesmith scan --format json -o scan.json` or `scopesmith plan --format json` \
             (or give it the scanned folder)"
                .into(),
        );
    }
    if let Some(tool) = value.pointer("/tool/name").and_then(Value::as_str).filter(|t| *t != "scopesmith") {
        return Some(format!(
            "written by `{}`, not scopesmith: `report` reads `scopesmith scan --format json` and \
             `scopesmith plan --format json` results",
            tool.chars().take(64).collect::<String>()
        ));
    }
    if value.is_array() {
        return Some(
            "a JSON list (other scanners write these), not a saved scopesmith result: expected an \
             object with a `findings` (scan) or `credentials` (plan) list"
                .into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sarif_other_tools_and_lists_are_named() {
        let sarif = json!({"version": "2.1.0", "runs": [{"results": []}]});
        assert!(describe(&sarif).unwrap().contains("SARIF"));
        let other = json!({"tool": {"name": "gitleaks"}, "findings": []});
        assert!(describe(&other).unwrap().contains("`gitleaks`"));
        assert!(describe(&json!([{"RuleID": "x"}])).unwrap().contains("JSON list"));
        assert_eq!(describe(&json!({"tool": {"name": "scopesmith"}, "findings": []})), None);
    }
}
