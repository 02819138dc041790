//! Laravel config lookups: a key site that reads `config('services.cloudflare.key')` (or
//! `$cf['key']` after `$cf = config('services.cloudflare')`) reads the env var that
//! `config/services.php` maps that path to (`'key' => env('CLOUDFLARE_API_KEY')`). The site
//! then belongs to that env var's credential, with the `env()` site of the config file.
//!
//! Only short-array config files (`[ ... ]`, Laravel's own style) are read; a path that no
//! config file maps to an `env()` call leaves the site's name as the scan gave it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::scan::texts::Texts;

fn re(p: &str) -> Regex {
    crate::pattern::new(p).expect("built-in laravel pattern")
}

/// `config('a.b.c')` on a line.
static CONFIG_CALL: LazyLock<Regex> = LazyLock::new(|| re(r#"\bconfig\s*\(\s*['"]([\w.-]+)['"]\s*\)"#));
/// A variable or property read, with an optional first array subscript or property.
static VAR_READ: LazyLock<Regex> = LazyLock::new(|| re(r#"(\$this->\w+|\$\w+)(?:\s*\[\s*['"]([\w.-]+)['"]\s*\])?"#));
/// The tokens of a config file that matter: a keyed sub-array, a keyed `env()`, a string (to
/// skip brackets inside it), an unkeyed bracket.
static CONFIG_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"['"]([\w.-]+)['"]\s*=>\s*(?:(\[)|env\s*\(\s*['"](\w+)['"])|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|(\[)|(\])"#)
});

/// The env var a PHP key site reads through `config()`, if a config file of the app maps it.
/// `line` is the part of the site's line that holds the key's value (past the `X-Auth-Key`
/// name of a header site).
pub fn env_of(path: &str, file_text: &str, line: &str, texts: &Texts) -> Option<String> {
    let dir = super::consumer::folder_of(path);
    for dotted in config_paths(file_text, line) {
        let file = dotted.split('.').next().unwrap_or("");
        let Some(config) = super::facts::in_ancestors(texts, dir, &format!("config/{file}.php")) else {
            continue;
        };
        let Some(text) = texts.text(&config) else { continue };
        if let Some(env) = env_map(file, &text).get(&dotted) {
            return Some(env.clone());
        }
    }
    None
}

/// The config paths a line may read, first the likeliest: direct `config()` calls, then
/// variables (and `$this->` properties) the file assigns from `config()`, with their
/// subscript appended.
fn config_paths(file_text: &str, line: &str) -> Vec<String> {
    let mut out: Vec<String> = CONFIG_CALL.captures_iter(line).map(|c| c[1].to_string()).collect();
    let assigned = assignments(file_text);
    for c in VAR_READ.captures_iter(line) {
        let var = c[1].to_string();
        let Some(base) = assigned.get(&var) else { continue };
        match c.get(2) {
            Some(sub) => out.push(format!("{base}.{}", sub.as_str())),
            None => out.push(base.clone()),
        }
    }
    out
}

/// `$var = config('a.b')` and `$this->var = config('a.b')` in a file: the last one wins.
fn assignments(text: &str) -> BTreeMap<String, String> {
    static ASSIGN: LazyLock<Regex> =
        LazyLock::new(|| re(r#"(\$this->\w+|\$\w+)\s*=\s*config\s*\(\s*['"]([\w.-]+)['"]\s*\)"#));
    ASSIGN.captures_iter(text).map(|c| (c[1].to_string(), c[2].to_string())).collect()
}

/// Dotted path (`services.cloudflare.key`, the file's name first) -> env var, for each keyed
/// `env()` of a config file.
fn env_map(file: &str, text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    // One entry per open bracket: its key, or None for an unkeyed one (the file's `return [`).
    let mut stack: Vec<Option<String>> = Vec::new();
    for c in CONFIG_TOKEN.captures_iter(text) {
        let path = |leaf: &str| {
            let mut parts: Vec<&str> = vec![file];
            parts.extend(stack.iter().flatten().map(String::as_str));
            parts.push(leaf);
            parts.join(".")
        };
        if let (Some(key), Some(_)) = (c.get(1), c.get(2)) {
            stack.push(Some(key.as_str().to_string()));
        } else if let (Some(key), Some(env)) = (c.get(1), c.get(3)) {
            out.entry(path(key.as_str())).or_insert_with(|| env.as_str().to_string());
        } else if c.get(4).is_some() {
            stack.push(None);
        } else if c.get(5).is_some() {
            stack.pop();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES: &str = "<?php\nreturn [\n    'mailgun' => ['secret' => env('MAILGUN_SECRET'), 'tags' => ['a]', \"b[\"]],\n    'cloudflare' => [\n        'key' => env('CLOUDFLARE_API_KEY', env('CF_KEY')),\n        'nested' => ['zone' => env('CF_ZONE')],\n    ],\n];\n";

    #[test]
    fn config_files_map_dotted_paths_to_env_names() {
        let m = env_map("services", SERVICES);
        assert_eq!(m.get("services.cloudflare.key").map(String::as_str), Some("CLOUDFLARE_API_KEY"));
        assert_eq!(m.get("services.cloudflare.nested.zone").map(String::as_str), Some("CF_ZONE"));
        assert_eq!(m.get("services.mailgun.secret").map(String::as_str), Some("MAILGUN_SECRET"));
        assert!(!m.contains_key("services.key"));
    }

    #[test]
    fn lines_read_config_directly_or_through_an_assigned_variable() {
        let file = "$cf = config('services.cloudflare');\n$this->auth = config('services.cloudflare.key');\n";
        assert_eq!(
            config_paths(file, "'X-Auth-Key' => config('services.cloudflare.key')"),
            ["services.cloudflare.key"]
        );
        assert_eq!(config_paths(file, "'X-Auth-Key' => $cf['key']"), ["services.cloudflare.key"]);
        assert_eq!(config_paths(file, "'X-Auth-Key' => $this->auth,"), ["services.cloudflare.key"]);
        assert!(config_paths(file, "'X-Auth-Key' => $other['key']").is_empty());
    }
}
