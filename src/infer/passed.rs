//! Zones passed in by the importing file: a client module that calls `/zones/${this.zoneId}/…`
//! names no zone itself, the code that constructs or calls it does
//! (`new EdgeClient("c0ffee…")`). When every line of every importing file of the unit that
//! uses one of the module's class or function names passes a zone id literal, those ids are
//! the module's zones; one use without a literal (a zone from the environment, a variable)
//! and nothing is narrowed. Methods called on an object (`client.purgeUrls`) are not names
//! the module defines with a keyword, so they neither count nor block.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::scan::texts::Texts;

fn re(p: &str) -> Regex {
    crate::pattern::new(p).expect("built-in passed-zone pattern")
}

/// Names a module defines for others to call.
static DEFINED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:class|function|def|func|fn|interface)\s+([A-Za-z_]\w*)|\bexport\s+(?:default\s+)?(?:const|let|var|async\s+function)\s+([A-Za-z_]\w*)",
    )
});
/// A zone path segment filled from something named like a zone: `/zones/${this.zoneId}/`,
/// `/zones/{zone_id}/` (f-string), `/zones/$zone/`, `"/zones/" + zone + "/`.
static ZONE_PARAM: LazyLock<Regex> = LazyLock::new(|| re(r#"(?i)/zones/(?:\$\{|\{|\$|["'`]\s*[+.]\s*)[^/"'`]*zone"#));
static QUOTED_HEX32: LazyLock<Regex> = LazyLock::new(|| re(r#"["'`]([0-9a-fA-F]{32})["'`]"#));
static IMPORT_LINE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:import|from|use|require|require_once|include)\b"));

/// The zone ids the importers of `path` pass to it, with the importers that pass them, or
/// `None` when the module does not take its zone from a parameter or an importer uses it
/// without a literal zone id.
pub fn zones(path: &str, importers: &[String], texts: &Texts) -> Option<(BTreeSet<String>, Vec<String>)> {
    let text = texts.text(path)?;
    if !ZONE_PARAM.is_match(&text) {
        return None;
    }
    let names: BTreeSet<String> = DEFINED
        .captures_iter(&text)
        .filter_map(|c| c.get(1).or(c.get(2)).map(|m| m.as_str().to_string()))
        .filter(|n| n.len() > 2)
        .collect();
    if names.is_empty() {
        return None;
    }
    let uses: Vec<Regex> = names.iter().map(|n| re(&format!(r"\b{}\b", regex::escape(n)))).collect();
    let mut ids = BTreeSet::new();
    let mut from = Vec::new();
    for importer in importers {
        let it = texts.text(importer)?;
        let mut passed = false;
        for line in it.lines().filter(|l| !IMPORT_LINE.is_match(l)) {
            if !uses.iter().any(|u| u.is_match(line)) {
                continue;
            }
            let found: Vec<String> = QUOTED_HEX32.captures_iter(line).map(|c| c[1].to_ascii_lowercase()).collect();
            // Any use without a literal (a zone from the environment, a variable, a factory
            // called on something else) may reach other zones.
            if found.is_empty() {
                return None;
            }
            ids.extend(found);
            passed = true;
        }
        if passed {
            from.push(importer.clone());
        }
    }
    (!ids.is_empty()).then_some((ids, from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Texts {
        let mut t = Texts::new(1 << 20);
        for (p, text) in files {
            // As the scan does: a kept file is a walked one.
            t.walked(p.to_string(), std::path::PathBuf::from(p));
            t.keep(p.to_string(), text.to_string());
        }
        t
    }

    const CLIENT: &str = "export class EdgeClient {\n  constructor(private readonly zoneId: string) {}\n  purge() { return fetch(`${BASE}/zones/${this.zoneId}/purge_cache`) }\n}\n";

    #[test]
    fn literal_zone_ids_passed_by_every_importer_narrow() {
        let t = tree(&[
            ("client.ts", CLIENT),
            ("job.ts", "import { EdgeClient } from \"./client\";\nconst c = new EdgeClient(\"c0ffee00c0ffee00c0ffee00c0ffee00\");\nawait c.purge();\n"),
        ]);
        let (ids, from) = zones("client.ts", &["job.ts".to_string()], &t).unwrap();
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["c0ffee00c0ffee00c0ffee00c0ffee00"]);
        assert_eq!(from, ["job.ts"]);
    }

    #[test]
    fn a_zone_from_anywhere_else_does_not_narrow() {
        let t = tree(&[
            ("client.ts", CLIENT),
            ("job.ts", "import { EdgeClient } from \"./client\";\nconst c = new EdgeClient(\"c0ffee00c0ffee00c0ffee00c0ffee00\");\n"),
            ("other.ts", "import { EdgeClient } from \"./client\";\nconst c = new EdgeClient(process.env.ZONE!);\n"),
        ]);
        assert!(zones("client.ts", &["job.ts".to_string(), "other.ts".to_string()], &t).is_none());
        let fixed = "const ZONE = \"0123456789abcdef0123456789abcdef\";\nfetch(`/zones/${ZONE}/purge_cache`)\n";
        let t = tree(&[("fixed.ts", fixed), ("job.ts", "x")]);
        assert!(zones("fixed.ts", &["job.ts".to_string()], &t).is_none());
    }
}
