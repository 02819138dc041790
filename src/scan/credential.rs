//! Names the credential behind an expression: the env var, CI secret or setting a key value
//! comes from, in the syntax of each ecosystem, and recognises hard-coded key shapes.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

/// Where a value is read from, in the order tried (CI secrets before shell `$X`, since
/// `${{ secrets.X }}` also looks like a shell expansion).
static SOURCES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)",
        r#"\benviron(?:\.get)?\s*[\[(]\s*["']([^"']+)["']"#,
        r#"(?i)\bgetenv\s*\(\s*["']([^"']+)["']"#,
        r#"\bLookupEnv\s*\(\s*"([^"]+)""#,
        r"\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)",
        r#"\bprocess\.env\[\s*["']([^"']+)["']"#,
        r#"\bENV\.fetch\(\s*["']([^"']+)["']"#,
        r#"\bENV\[\s*["']([^"']+)["']"#,
        r#"\benv::var(?:_os)?\(\s*"([^"]+)""#,
        r#"\bGetEnvironmentVariable\(\s*"([^"]+)""#,
        r#"\$_(?:ENV|SERVER)\[\s*["']([^"']+)["']"#,
        r#"\benv\(\s*["']([^"']+)["']"#,
        r#"\bDeno\.env\.get\(\s*["']([^"']+)["']"#,
        r"\b(?:var|local)\.([A-Za-z_][A-Za-z0-9_-]*)",
        r"\benv/([A-Za-z_][A-Za-z0-9_]*)",
        r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|[^}]*)?\}\}",
        r"\$\{?([A-Za-z_][A-Za-z0-9_]*)",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("built-in credential pattern"))
    .collect()
});

static IDENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[&*]*(?:self\.|this\.|@|\$)?([A-Za-z_][A-Za-z0-9_]*)(?:\.clone\(\)|\.as_str\(\)|\.to_string\(\)|!!)?$",
    )
    .expect("ident pattern")
});

static SHELL_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?["']?(?:\s|\\|$)"#).expect("shell variable pattern")
});

/// `NAME = value`, `NAME := value`, `export NAME=value`, `const NAME = value`, `$NAME = value`.
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^\s*(?:(?:export|const|let|mut|var|val|readonly|local|final|private|public|protected|static|String|string)\s+)*(?:self\.|this\.|@|\$)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_][\w<>&]*\s*)?(?::=|=)\s*(.+)$")
        .expect("assignment pattern")
});

/// A Global API Key as written in code: `cfk_` + 40 + 8 hex, or the legacy 37-45 lowercase hex.
static KEY_SHAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:cfk_[A-Za-z0-9]{40}[a-f0-9]{8}|[a-f0-9]{37,45})$").expect("key shape"));

/// The name of the credential an expression reads, if it says.
pub fn name_in(expr: &str) -> Option<String> {
    SOURCES.iter().find_map(|re| re.captures(expr).map(|c| c[1].to_string()))
}

/// The hard-coded key a value starts with (`"0123…"`, `'cfk_…' }`, bare), if it is one.
pub fn literal_key(value: &str) -> Option<&str> {
    let v = value.trim().trim_start_matches(['"', '\'', '`']);
    let end = v.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(v.len());
    let token = &v[..end];
    KEY_SHAPE.is_match(token).then_some(token)
}

/// Where a credential name came from: read directly on the line, or through a variable
/// assigned on `line` (0-based) of the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub name: String,
    pub via_line: Option<usize>,
}

/// Variables assigned from a credential source in one file, so a header fed from a plain
/// variable (`"X-Auth-Key": key`) still names `CF_API_KEY`.
#[derive(Default)]
pub struct Aliases {
    map: HashMap<String, (String, usize)>,
}

impl Aliases {
    pub fn of(text: &str) -> Aliases {
        let mut map = HashMap::new();
        for cap in ASSIGN.captures_iter(text) {
            if let Some(name) = name_in(&cap[2]) {
                let at = cap.get(0).map(|m| m.start()).unwrap_or(0);
                let line = memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count();
                // The match may begin on the blank line before; count from the name.
                let name_at = cap.get(1).map(|m| m.start()).unwrap_or(at);
                let line = line + memchr::memchr_iter(b'\n', &text.as_bytes()[at..name_at]).count();
                map.entry(cap[1].to_string()).or_insert((name, line));
            }
        }
        Aliases { map }
    }

    /// The credential names that some variable of the file is read from.
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.map.values().map(|(name, _)| name.as_str())
    }

    /// The credential behind `expr`: a variable assigned in the file first (`$key` in PHP is
    /// a variable, not an environment read), then a direct read.
    pub fn resolve(&self, expr: &str) -> Option<Resolved> {
        let trimmed = expr.trim().trim_end_matches([',', ';', ')', '}']).trim();
        // A shell expansion of a script variable: `"$auth_key" \`, `${key}`.
        if let Some(var) = SHELL_VAR.captures(trimmed) {
            if let Some((name, line)) = self.map.get(&var[1]) {
                return Some(Resolved { name: name.clone(), via_line: Some(*line) });
            }
        }
        if let Some(ident) = IDENT.captures(trimmed) {
            if let Some((name, line)) = self.map.get(&ident[1]) {
                return Some(Resolved { name: name.clone(), via_line: Some(*line) });
            }
        }
        name_in(expr).map(|name| Resolved { name, via_line: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_every_ecosystem() {
        let cases = [
            ("${{ secrets.CLOUDFLARE_API_KEY }}", "CLOUDFLARE_API_KEY"),
            ("os.environ[\"CF_API_KEY\"]", "CF_API_KEY"),
            ("os.environ.get('CF_API_KEY')", "CF_API_KEY"),
            ("os.Getenv(\"CF_API_KEY\")", "CF_API_KEY"),
            ("process.env.CF_API_KEY,", "CF_API_KEY"),
            ("ENV['CLOUDFLARE_API_KEY']", "CLOUDFLARE_API_KEY"),
            ("std::env::var(\"CF_KEY\")?", "CF_KEY"),
            ("getenv('CF_API_KEY')", "CF_API_KEY"),
            ("\"$CF_API_KEY\"", "CF_API_KEY"),
            ("${CF_API_KEY:-}", "CF_API_KEY"),
            ("var.cloudflare_api_key", "cloudflare_api_key"),
        ];
        for (expr, want) in cases {
            assert_eq!(name_in(expr).as_deref(), Some(want), "{expr}");
        }
        assert_eq!(name_in("\"literal\""), None);
    }

    #[test]
    fn aliases_follow_one_assignment() {
        let text = "key = os.environ[\"CLOUDFLARE_API_KEY\"]\nheaders = {\"X-Auth-Key\": key}\n";
        let a = Aliases::of(text);
        let r = a.resolve("key}").unwrap();
        assert_eq!((r.name.as_str(), r.via_line), ("CLOUDFLARE_API_KEY", Some(0)));
        assert_eq!(a.resolve("&key").unwrap().name, "CLOUDFLARE_API_KEY");
        assert_eq!(a.resolve("other"), None);
    }

    #[test]
    fn key_shapes() {
        assert!(literal_key("\"0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e\",").is_some());
        assert!(literal_key("0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1").is_none(), "32 hex is a zone id");
        assert!(literal_key("$CF_API_KEY").is_none());
    }
}
