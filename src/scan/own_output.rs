//! scopesmith's own outputs committed to a tree (a baseline, a saved JSON or SARIF result)
//! quote the lines they found; scanning them again would report every finding a second time.
//! They are recognised by content, not only by name: a file is skipped when it is JSON whose
//! opening names scopesmith as its tool (JSON and SARIF results) or has the baseline's shape.

/// How much of the file's start is looked at: the markers sit in the first object.
const HEAD: usize = 4096;

/// Whether `bytes` (the file named `file_name`) is a result or baseline written by scopesmith.
pub fn is_own_output(file_name: &str, bytes: &[u8]) -> bool {
    let ext = file_name.rsplit_once('.').map_or("", |(_, e)| e);
    if !ext.eq_ignore_ascii_case("json") && !ext.eq_ignore_ascii_case("sarif") {
        return false;
    }
    let lower = file_name.to_ascii_lowercase();
    let head = &bytes[..bytes.len().min(HEAD)];
    let Ok(head) = std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()])) else {
        return false;
    };
    // Every marker below names scopesmith or has an `entries` list: most JSON files have
    // neither, and are let through before their start is copied.
    if !head.trim_start().starts_with('{') || !(head.contains("scopesmith") || head.contains("\"entries\"")) {
        return false;
    }
    let compact: String = head.chars().filter(|c| !c.is_whitespace()).collect();
    // JSON results: `"tool":{"name":"scopesmith",...}`; SARIF: `"driver":{"name":"scopesmith",...}`.
    let tool =
        compact.contains(r#""tool":{"name":"scopesmith""#) || compact.contains(r#""driver":{"name":"scopesmith""#);
    // A baseline: `{"version":1,"entries":[{"rule":...,"path":...,"fingerprint":...`.
    let baseline = compact.starts_with(r#"{"version":"#)
        && compact.contains(r#""entries":["#)
        && (compact.contains(r#""fingerprint":"#) || compact.contains(r#""entries":[]"#));
    tool || baseline || lower.ends_with(".scopesmith-baseline.json") && compact.contains(r#""entries""#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_and_baselines_are_recognised_by_content() {
        let json =
            "{\n  \"tool\": {\n    \"name\": \"scopesmith\",\n    \"version\": \"0.1.0\"\n  },\n  \"findings\": []}";
        assert!(is_own_output("scan-results.json", json.as_bytes()));
        let sarif = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"scopesmith"}}}]}"#;
        assert!(is_own_output("out.sarif", sarif.as_bytes()));
        let baseline = "{\n  \"version\": 1,\n  \"entries\": [\n    {\"rule\": \"x-auth-key-header\", \"path\": \"a.sh\", \"fingerprint\": \"00\"}]}";
        assert!(is_own_output(".scopesmith-baseline.json", baseline.as_bytes()));
        assert!(is_own_output("accepted.json", baseline.as_bytes()), "renamed baselines too");
    }

    #[test]
    fn other_json_is_scanned() {
        assert!(!is_own_output("config.json", br#"{"tool":{"name":"eslint"},"key":"x"}"#));
        assert!(!is_own_output("package.json", br#"{"name":"scopesmith","version":"1.0.0"}"#));
        assert!(!is_own_output("notes.txt", br#"{"tool":{"name":"scopesmith"}}"#), "only JSON and SARIF files");
        let other_sarif = r#"{"runs":[{"tool":{"driver":{"name":"semgrep"}}}]}"#;
        assert!(!is_own_output("semgrep.sarif", other_sarif.as_bytes()));
    }
}
