//! Terraform: a renamed variable's declaration must stop calling itself the Global API Key.

use regex::Regex;

use super::rewrite::LineFix;
use super::FileWork;

/// In `variable "<name>" { ... }`, a `description` that says "Global API Key" (or "API key")
/// now says "scoped API token".
pub(super) fn describe_token(w: &mut FileWork, name: &str) {
    let head = Regex::new(&format!(r#"^\s*variable\s+"{}"\s*\{{"#, regex::escape(name))).expect("escaped name");
    let key = Regex::new(r"(?i)\b(?:global\s+)?api\s+key\b").expect("description pattern");
    let current = |w: &FileWork, l: usize| match w.fixes.get(&l) {
        Some(LineFix::Replace(s)) => Some(s.clone()),
        Some(LineFix::Remove) => None,
        _ => Some(w.lines[l].0.clone()),
    };
    let Some(start) = (0..w.lines.len()).find(|&l| current(w, l).is_some_and(|s| head.is_match(&s))) else { return };
    for l in start..w.lines.len() {
        let Some(s) = current(w, l) else { continue };
        if s.trim_start().starts_with("description") && key.is_match(&s) {
            let new = key.replace_all(&s, "scoped API token").into_owned();
            w.fixes.insert(l, LineFix::Replace(new));
        }
        if l > start && s.trim_end() == "}" {
            break;
        }
    }
}
