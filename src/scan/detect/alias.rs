//! SDK constructors behind a local name: `var CFClient = require("cloudflare")` then
//! `new CFClient({email, key})`; Go's `cf "github.com/cloudflare/cloudflare-go"` then
//! `cf.New(key, email)`; Python's `import CloudFlare as cf` or `from cloudflare import
//! Cloudflare as CF`. The import names the SDK, so the renamed call is reported under the
//! rule that knows the canonical constructor, with the key argument as its value.

use std::sync::LazyLock;

use regex::Regex;

use super::Hit;
use crate::rules::DetectRule;
use crate::scan::lines::Lines;

/// One SDK's import forms (capturing the local name) and, per local name, the call shape.
struct Sdk {
    /// The rule the renamed call is reported under.
    rule: &'static str,
    files: &'static [&'static str],
    /// Text every import form contains: a file with none of them is not searched (the import
    /// regexes run over whole files, which nearly all say "cloudflare" somewhere).
    needles: &'static [&'static str],
    imports: Vec<Regex>,
    /// The call, with `ALIAS` standing for the escaped local name; `value` is the key argument.
    call: &'static str,
}

static SDKS: LazyLock<Vec<Sdk>> = LazyLock::new(|| {
    let re = |p: &str| crate::pattern::new(p).expect("built-in alias pattern");
    vec![
        Sdk {
            rule: "cloudflare-node-email-key",
            files: &[".js", ".mjs", ".cjs", ".ts"],
            needles: &["'cloudflare", "\"cloudflare"],
            imports: vec![
                re(
                    r#"(?m)\b(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*require\(\s*['"]cloudflare['"]\s*\)\s*;?\s*$"#,
                ),
                re(r#"\bimport\s+([A-Za-z_$][\w$]*)\s+from\s+['"]cloudflare['"]"#),
            ],
            // v2 and older: `ALIAS({email, key})`, with or without `new`.
            call: r"\b(?:new\s+)?ALIAS\s*\(\s*\{[^}]*?\bkey\b\s*(?::\s*(?P<value>[^,}\n]+))?\s*[,}\n]",
        },
        Sdk {
            rule: "cloudflare-typescript-api-key",
            files: &[".js", ".mjs", ".cjs", ".ts", ".mts", ".tsx"],
            needles: &["'cloudflare", "\"cloudflare"],
            imports: vec![
                re(
                    r#"(?m)\b(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*require\(\s*['"]cloudflare['"]\s*\)(?:\.default)?"#,
                ),
                re(r#"\bimport\s+([A-Za-z_$][\w$]*)\s+from\s+['"]cloudflare['"]"#),
            ],
            call: r"\bnew\s+ALIAS\s*\(\s*\{[^}]*?\bapiKey\b\s*(?::\s*(?P<value>[^,}\n]+))?",
        },
        Sdk {
            rule: "cloudflare-go-new-with-key",
            files: &[".go"],
            needles: &["\"github.com/cloudflare/cloudflare-go"],
            imports: vec![re(
                r#"(?m)^\s*(?:import\s+)?([A-Za-z_]\w*)\s+"github\.com/cloudflare/cloudflare-go(?:/v0)?""#,
            )],
            call: r"\bALIAS\.New\(\s*(?P<value>[^,)]*)",
        },
        Sdk {
            rule: "python-cloudflare-email-key",
            files: &[".py"],
            needles: &["CloudFlare"],
            imports: vec![
                re(r"(?m)^\s*import\s+CloudFlare\s+as\s+(\w+)\s*$"),
                re(r"(?m)^\s*from\s+CloudFlare\s+import\s+CloudFlare(?:\s+as\s+(\w+))?\s*$"),
            ],
            call: r"\bALIAS(?:\.CloudFlare)?\s*\((?:[^()]|\([^()]*\))*?\bkey\s*=\s*(?P<value>[^,\n)]+)",
        },
        Sdk {
            rule: "cloudflare-python-api-key",
            files: &[".py"],
            needles: &["Cloudflare"],
            imports: vec![re(r"(?m)^\s*from\s+cloudflare\s+import\s+(?:Async)?Cloudflare\s+as\s+(\w+)\s*$")],
            call: r"\bALIAS\s*\((?:[^()]|\([^()]*\))*?\bapi_key\s*=\s*(?P<value>[^,)\n]+)",
        },
    ]
});

/// Hits for SDK constructors called through a local alias in `text` (the file `path`).
pub(super) fn hits(rules: &[DetectRule], path: &str, text: &str, lines: &Lines) -> Vec<Hit> {
    let mut out = Vec::new();
    for sdk in
        SDKS.iter().filter(|s| s.files.iter().any(|e| path.ends_with(e)) && s.needles.iter().any(|n| text.contains(n)))
    {
        let Some(rule) = rules.iter().position(|r| r.id == sdk.rule) else { continue };
        for import in &sdk.imports {
            for cap in import.captures_iter(text) {
                let alias = cap.get(1).map(|m| m.as_str()).unwrap_or("CloudFlare");
                // A canonical name is matched by the rule too: the per-line merge keeps one.
                let Ok(call) = crate::pattern::new(&sdk.call.replace("ALIAS", &regex::escape(alias))) else { continue };
                for c in call.captures_iter(text) {
                    let Some(m) = c.get(0) else { continue };
                    let line = lines.line_of(m.start());
                    if super::is_comment(lines.text(text, line)) {
                        continue;
                    }
                    out.push(Hit {
                        rule,
                        line,
                        end_line: lines.line_of(m.end().saturating_sub(1).max(m.start())),
                        offset: m.start(),
                        cred: None,
                        value: c.name("value").map(|v| v.as_str().trim().to_string()),
                        secret: None,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<DetectRule> {
        crate::rules::RuleSet::load(&[]).expect("built-in rules").detect
    }

    fn lines_hit(path: &str, text: &str) -> Vec<(usize, Option<String>)> {
        let rules = rules();
        hits(&rules, path, text, &Lines::new(text)).into_iter().map(|h| (h.line, h.value)).collect()
    }

    #[test]
    fn renamed_constructors_are_found() {
        let js = "var CFClient = require(\"cloudflare\");\nconst cf = new CFClient({\n  email: process.env.CF_EMAIL,\n  key: process.env.CF_KEY\n});\n";
        assert_eq!(lines_hit("purge.js", js), vec![(1, Some("process.env.CF_KEY".into()))]);
        let go = "import (\n\tcf \"github.com/cloudflare/cloudflare-go\"\n)\n\nfunc c() { api, _ := cf.New(os.Getenv(\"CF_KEY\"), os.Getenv(\"CF_EMAIL\")) }\n";
        assert_eq!(lines_hit("main.go", go), vec![(4, Some("os.Getenv(\"CF_KEY\"".into()))]);
        let py = "import CloudFlare as CFAPI\ncf = CFAPI.CloudFlare(email=E, key=os.environ['K'])\n";
        assert_eq!(lines_hit("dns.py", py).len(), 1);
    }

    #[test]
    fn token_constructors_and_other_modules_are_not() {
        let js =
            "var CFClient = require(\"cloudflare\");\nconst cf = new CFClient({ token: process.env.CF_API_TOKEN });\n";
        assert!(lines_hit("purge.js", js).is_empty());
        let go = "import cf \"github.com/cloudflare/cloudflare-go\"\nfunc c() { cf.NewWithAPIToken(t) }\n";
        assert!(lines_hit("main.go", go).is_empty());
        let other = "var Other = require(\"other\");\nnew Other({ key: k });\n";
        assert!(lines_hit("x.js", other).is_empty());
    }
}
