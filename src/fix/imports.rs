//! Imports for the names a rewrite starts to use: `os.environ` needs `import os`, Go's
//! `os.Getenv` needs `"os"`, PHP's `new APIToken(...)` needs `use ...\Auth\APIToken;`.
//! Each is added only when missing, where the language's own tools expect it (gofmt sorts a
//! Go import block, so `"os"` goes in order).

use std::sync::LazyLock;

use regex::Regex;

use super::rewrite::Lang;

static PY_OS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^import\s+(?:[\w.]+\s*,\s*)*os\s*(?:,|$|#)").expect("python import pattern"));
static PY_IMPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:import\s|from\s+\S+\s+import\s)").expect("import"));
static GO_OS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"(?m)^\s*(?:import\s+)?"os"\s*$"#).expect("go os"));
static PHP_USE_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^(\s*use\s+\\?((?:\w+\\)*)Auth\\)APIKey\s*;").expect("php use"));

fn ending(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// `text` with the imports its code now needs.
pub fn add(lang: Lang, text: &str) -> String {
    match lang {
        Lang::Python if (text.contains("os.environ") || text.contains("os.getenv")) && !PY_OS.is_match(text) => {
            python(text)
        }
        Lang::Go if text.contains("os.Getenv(") && !GO_OS.is_match(text) => go(text),
        Lang::Php if text.contains("APIToken(") => php(text),
        _ => text.to_string(),
    }
}

fn python(text: &str) -> String {
    let nl = ending(text);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // After the last top-level import of the leading block; else after the shebang,
    // encoding line, comments and module docstring.
    let mut at = 0;
    let mut i = 0;
    let mut in_doc: Option<&str> = None;
    let mut last_import = None;
    while i < lines.len() {
        let t = lines[i].trim_end();
        if let Some(q) = in_doc {
            if t.contains(q) {
                in_doc = None;
                at = i + 1;
            }
        } else if t.starts_with('#') || t.is_empty() {
            if last_import.is_none() {
                at = i + 1;
            }
        } else if (t.starts_with("\"\"\"") || t.starts_with("'''")) && last_import.is_none() {
            let q = &t[..3];
            if t.len() >= 6 && t[3..].contains(q) {
                at = i + 1;
            } else {
                in_doc = Some(if q == "\"\"\"" { "\"\"\"" } else { "'''" });
            }
        } else if PY_IMPORT.is_match(t) {
            // A parenthesised import goes on to its closing parenthesis.
            let mut j = i;
            if t.contains('(') && !t.contains(')') {
                while j + 1 < lines.len() && !lines[j].contains(')') {
                    j += 1;
                }
            }
            last_import = Some(j + 1);
            i = j;
        } else if t.starts_with("from __future__") {
            at = i + 1;
        } else {
            break;
        }
        i += 1;
    }
    let pos = last_import.unwrap_or(at);
    let mut out: String = lines[..pos].concat();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(nl);
    }
    out.push_str("import os");
    out.push_str(nl);
    out.push_str(&lines[pos..].concat());
    out
}

fn go(text: &str) -> String {
    let nl = ending(text);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if let Some(open) = lines.iter().position(|l| l.trim_end() == "import (") {
        // The first group: up to a blank line or `)`; "os" goes in sorted order.
        let mut pos = open + 1;
        while pos < lines.len() {
            let t = lines[pos].trim();
            if t.is_empty() || t == ")" {
                break;
            }
            let path = t.rsplit(' ').next().unwrap_or(t);
            if path > "\"os\"" {
                break;
            }
            pos += 1;
        }
        return format!("{}\t\"os\"{nl}{}", lines[..pos].concat(), lines[pos..].concat());
    }
    if let Some(single) = lines.iter().position(|l| l.starts_with("import \"")) {
        return format!("{}import \"os\"{nl}{}", lines[..=single].concat(), lines[single + 1..].concat());
    }
    if let Some(pkg) = lines.iter().position(|l| l.starts_with("package ")) {
        return format!("{}{nl}import \"os\"{nl}{}", lines[..=pkg].concat(), lines[pkg + 1..].concat());
    }
    text.to_string()
}

fn php(text: &str) -> String {
    let Some(c) = PHP_USE_KEY.captures(text) else { return text.to_string() };
    let whole = c.get(0).expect("match");
    if text.contains(&format!("{}APIToken;", &c[1])) {
        return text.to_string();
    }
    let rest = format!("{}{}", &text[..whole.start()], &text[whole.end()..]);
    let still_key = Regex::new(r"\bAPIKey\b").expect("php name").is_match(&rest);
    if still_key {
        let nl = ending(text);
        format!(
            "{}{nl}{}APIToken;{}",
            &text[..whole.end()],
            c[1].trim_start_matches(['\r', '\n']),
            &text[whole.end()..]
        )
    } else {
        format!("{}{}APIToken;{}", &text[..whole.start()], &c[1], &text[whole.end()..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_gets_import_os_after_its_imports() {
        let src =
            "#!/usr/bin/env python3\n\"\"\"Purge.\"\"\"\nimport json\nimport requests\n\nKEY = os.environ[\"K\"]\n";
        assert_eq!(add(Lang::Python, src), "#!/usr/bin/env python3\n\"\"\"Purge.\"\"\"\nimport json\nimport requests\nimport os\n\nKEY = os.environ[\"K\"]\n");
        assert_eq!(add(Lang::Python, "import os\nx = os.environ['K']\n"), "import os\nx = os.environ['K']\n");
        assert_eq!(add(Lang::Python, "x = os.environ['K']\n"), "import os\nx = os.environ['K']\n");
    }

    #[test]
    fn go_gets_os_in_order() {
        let src = "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\nvar k = os.Getenv(\"K\")\n";
        assert_eq!(
            add(Lang::Go, src),
            "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\t\"os\"\n)\n\nvar k = os.Getenv(\"K\")\n"
        );
    }

    #[test]
    fn php_use_follows_the_class() {
        let src = "<?php\nuse Cloudflare\\API\\Auth\\APIKey;\n$a = new APIToken(getenv('T'));\n";
        assert_eq!(
            add(Lang::Php, src),
            "<?php\nuse Cloudflare\\API\\Auth\\APIToken;\n$a = new APIToken(getenv('T'));\n"
        );
    }
}
