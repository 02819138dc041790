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
        // A WordPress option: a setting the site owner saved (`get_option('cf_api_key')`).
        r#"\bget_(?:site_)?option\s*\(\s*["']([^"']+)["']"#,
        r#"\bDeno\.env\.get\(\s*["']([^"']+)["']"#,
        r"\b(?:var|local)\.([A-Za-z_][A-Za-z0-9_-]*)",
        r"\benv/([A-Za-z_][A-Za-z0-9_]*)",
        r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|[^}]*)?\}\}",
        r"\$\{?([A-Za-z_][A-Za-z0-9_]*)",
    ]
    .iter()
    .map(|p| crate::pattern::new(p).expect("built-in credential pattern"))
    .collect()
});

static IDENT: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(
        r"^[&*]*(?:self\.|this\.|\$this->|@|\$)?([A-Za-z_][A-Za-z0-9_]*)(?:\.clone\(\)|\.as_str\(\)|\.to_string\(\)|!!)?$",
    )
    .expect("ident pattern")
});

static SHELL_VAR: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r#"^["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?["']?(?:\s|\\|$)"#).expect("shell variable pattern")
});

/// `NAME = value`, `NAME := value`, `export NAME=value`, `const NAME = value`, `$NAME = value`.
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"(?m)^\s*(?:(?:export|const|let|mut|var|val|readonly|local|final|private|public|protected|static|String|string)\s+)*(?:self\.|this\.|\$this->|@|\$)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_][\w<>&]*\s*)?(?::=|=)\s*(.+)$")
        .expect("assignment pattern")
});

/// A Global API Key as written in code: `cfk_` + 40 + 8 hex, or the legacy 37-45 lowercase hex.
static KEY_SHAPE: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::new(r"^(?:cfk_[A-Za-z0-9]{40}[a-f0-9]{8}|[a-f0-9]{37,45})$").expect("key shape"));

/// The name of the credential an expression reads, if it says.
pub fn name_in(expr: &str) -> Option<String> {
    // PHP's `$this` is the object, not a variable holding the key: `$this->key` names no
    // credential by itself (an assignment to it may, through [`Aliases`]).
    SOURCES.iter().find_map(|re| re.captures(expr).filter(|c| &c[1] != "this").map(|c| c[1].to_string()))
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
    /// The key itself, when the variable was assigned a literal (`AUTH_KEY = "0d6e…"`).
    pub literal: Option<String>,
}

/// Variables assigned from a credential source in one file, so a header fed from a plain
/// variable (`"X-Auth-Key": key`) still names `CF_API_KEY`.
#[derive(Default)]
pub struct Aliases {
    map: HashMap<String, (String, usize)>,
    /// Variables assigned a hard-coded key: the variable names the credential.
    literals: HashMap<String, String>,
}

impl Aliases {
    pub fn of(text: &str) -> Aliases {
        let mut map = HashMap::new();
        let mut literals = HashMap::new();
        // Lines are counted on from the previous match, not from the file start each time:
        // a file of ten thousand assignments stays linear.
        let (mut counted_to, mut counted) = (0, 0);
        for cap in ASSIGN.captures_iter(text) {
            let literal = literal_key(&cap[2]);
            let Some(name) = name_in(&cap[2]).or_else(|| literal.map(|_| cap[1].to_string())) else {
                continue;
            };
            let at = cap.get(0).map(|m| m.start()).unwrap_or(0);
            counted += memchr::memchr_iter(b'\n', &text.as_bytes()[counted_to..at]).count();
            counted_to = at;
            // The match may begin on the blank line before; count from the name.
            let name_at = cap.get(1).map(|m| m.start()).unwrap_or(at);
            let line = counted + memchr::memchr_iter(b'\n', &text.as_bytes()[at..name_at]).count();
            if let Some(key) = literal {
                literals.entry(cap[1].to_string()).or_insert_with(|| key.to_string());
            }
            map.entry(cap[1].to_string()).or_insert((name, line));
        }
        Aliases { map, literals }
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
                let literal = self.literals.get(&var[1]).cloned();
                return Some(Resolved { name: name.clone(), via_line: Some(*line), literal });
            }
        }
        if let Some(ident) = IDENT.captures(trimmed) {
            if let Some((name, line)) = self.map.get(&ident[1]) {
                let literal = self.literals.get(&ident[1]).cloned();
                return Some(Resolved { name: name.clone(), via_line: Some(*line), literal });
            }
        }
        name_in(expr).map(|name| Resolved { name, via_line: None, literal: None })
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
        assert_eq!(name_in("get_option('edge_cf_api_key', '')").as_deref(), Some("edge_cf_api_key"));
        assert_eq!(name_in("$this->key,"), None, "`$this` is no variable of the key");
    }

    #[test]
    fn aliases_follow_one_assignment() {
        let text = "key = os.environ[\"CLOUDFLARE_API_KEY\"]\nheaders = {\"X-Auth-Key\": key}\n";
        let a = Aliases::of(text);
        let r = a.resolve("key}").unwrap();
        assert_eq!((r.name.as_str(), r.via_line), ("CLOUDFLARE_API_KEY", Some(0)));
        assert_eq!(a.resolve("&key").unwrap().name, "CLOUDFLARE_API_KEY");
        assert_eq!(a.resolve("other"), None);
        let php = "$this->key   = (string) get_option('edge_cf_api_key', '');\n'X-Auth-Key' => $this->key,\n";
        assert_eq!(Aliases::of(php).resolve("$this->key,").unwrap().name, "edge_cf_api_key");
    }

    #[test]
    fn key_shapes() {
        assert!(literal_key("\"0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e\",").is_some());
        assert!(literal_key("0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1").is_none(), "32 hex is a zone id");
        assert!(literal_key("$CF_API_KEY").is_none());
    }
}
