//! Wrappers: a project's own class or function that sends the X-Auth headers with values its
//! callers pass (`CloudflareDNS(email, api_key)`, `new Client($email, $apiKey)`).
//!
//! Takes the files `fix` edits and the key findings; returns, for each key site that sits in
//! such a definition, the definition (its name, the lines it spans, its key and e-mail
//! parameters) and the key sites that call it. The planner migrates a wrapper together with
//! its callers or leaves them all as they are: sent as a token, the key an unmigrated caller
//! passes breaks; renamed at the caller only, the wrapper still sends the token as a key.
//! Finding the callers is the scan's job (its wrapper findings); this module only recognises
//! the definition again in the text the scan kept, and which finding lines call it.

use regex::Regex;
use std::collections::BTreeMap;

use super::rewrite::{Lang, LineFix};
use super::{FileWork, KeyFix, Status};
use crate::finding::{Finding, Kind};
use crate::scan::wrapper::{def_captures, enclosing, Enclosing, CLASS, GENERIC, MEMBER, WORD};

/// A definition whose callers hand it the key.
#[derive(Debug, Clone)]
pub(super) struct Definition {
    /// The name callers use: the class for a constructor, else the function.
    pub name: String,
    pub class: bool,
    pub path: String,
    /// 0-based first and last line of the class or function block.
    pub span: (usize, usize),
    /// The parameter that receives the key, as written without `$`.
    pub key_param: String,
    /// The parameter that receives the e-mail, if there is one.
    pub email_param: Option<String>,
}

impl Definition {
    pub fn contains(&self, path: &str, line: usize) -> bool {
        self.path == path && (self.span.0..=self.span.1).contains(&line)
    }

    /// `Name` (path:line), for messages.
    pub fn at(&self) -> String {
        format!("`{}` ({}:{})", self.name, self.path, self.span.0 + 1)
    }
}

fn code(lang: Lang) -> bool {
    matches!(lang, Lang::Python | Lang::Js | Lang::Php | Lang::Ruby)
}

fn indent(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// The last line of the block opened at `start`: the line before the next non-empty line
/// indented no deeper, or that line itself when it closes the block (`}`, `end`).
fn block_end(lines: &[(String, String)], start: usize) -> usize {
    let base = indent(&lines[start].0);
    for (j, (l, _)) in lines.iter().enumerate().skip(start + 1) {
        if l.trim().is_empty() || indent(l) > base {
            continue;
        }
        let t = l.trim_start();
        // A brace-style opening continues on its own line (`{` under the signature).
        if t == "{" {
            continue;
        }
        return if t.starts_with('}') || t == "end" { j } else { j.saturating_sub(1) };
    }
    lines.len().saturating_sub(1)
}

fn email_like(p: &str) -> bool {
    p.to_ascii_lowercase().contains("mail")
}

/// The definition around key site `f` in `w`, when the key there is a parameter of the
/// enclosing function or a member its class's constructor sets from one.
pub(super) fn around(f: &Finding, w: &FileWork) -> Option<Definition> {
    if !code(w.lang) || f.secret.is_some() {
        return None;
    }
    let line = f.line.checked_sub(1)?;
    let use_line = w.lines.get(line)?.0.as_str();
    let words: Vec<&str> = WORD.find_iter(use_line).map(|m| m.as_str().trim_start_matches('$')).collect();
    let lines: Vec<&str> = w.lines.iter().map(|(text, _)| text.as_str()).collect();
    let Enclosing { function: (fname, params, fline), class } = enclosing(&lines, line)?;
    let is_ctor = matches!(fname.as_str(), "__init__" | "constructor" | "__construct" | "initialize");
    let definition = |name: String, class_call: bool, start: usize, params: &[String], key: String| {
        let usable = name.len() >= 4 && !GENERIC.contains(&name.as_str());
        usable.then(|| Definition {
            name,
            class: class_call,
            path: f.path.clone(),
            span: (start, block_end(&w.lines, start)),
            email_param: params.iter().find(|p| email_like(p)).cloned(),
            key_param: key,
        })
    };
    // The key is a parameter of the enclosing function.
    if let Some(p) = params.iter().find(|p| !email_like(p) && words.contains(&p.as_str())) {
        return match (is_ctor, class) {
            (true, Some((c, cl))) => definition(c, true, cl, &params, p.clone()),
            (true, None) => None,
            (false, _) => definition(fname, false, fline, &params, p.clone()),
        };
    }
    // The key is a member: the class is the wrapper, its constructor's parameter feeds it.
    let member = MEMBER.captures(use_line).map(|c| c[1].to_string())?;
    let (class_name, cl) = class?;
    let end = block_end(&w.lines, cl);
    let ctor = (cl + 1..=end).find_map(|j| {
        let (n, p) = def_captures(&w.lines[j].0)?;
        matches!(n.as_str(), "__init__" | "constructor" | "__construct" | "initialize").then_some(p)
    })?;
    let key = ctor
        .iter()
        .find(|p| **p == member)
        .or_else(|| ctor.iter().find(|p| p.to_ascii_lowercase().contains("key")))?
        .clone();
    definition(class_name, true, cl, &ctor, key)
}

/// Whether the line opens a function or constructor (`def f(a, b):`, `func New(email, key string)`):
/// the names in its parameter list are declarations, not uses.
pub(super) fn signature(line: &str) -> bool {
    def_captures(line).is_some()
}

/// Whether `line` calls the definition (`Name(`, `new Name(`, `pkg.name(`), and is not its
/// own signature.
pub(super) fn calls(d: &Definition, line: &str) -> bool {
    if !line.contains(d.name.as_str()) || def_captures(line).is_some() || CLASS.is_match(line) {
        return false;
    }
    let name = regex::escape(&d.name);
    let pattern = if d.class {
        format!(r"(?:\bnew\s+(?:[\w\\]+\\)?{name}\b\s*\(|\b{name}(?:\.new|::new)?\s*\()")
    } else {
        format!(r"(?:^|[^\w$])(?:[\w$]+(?:\.|->|::))?{name}\s*\(")
    };
    Regex::new(&pattern).is_ok_and(|re| re.is_match(line))
}

/// A wrapper definition, its key sites and the key sites that call it (indices into the key
/// findings): migrated all together or not at all.
pub(super) struct Wrapped {
    pub def: Definition,
    pub sites: Vec<usize>,
    pub callers: Vec<usize>,
}

/// A call of a wrapper: the key variable it passes is renamed (the wrapper sends it as a token).
pub(super) fn caller_site(f: &Finding, w: &FileWork, rename: Option<(String, String)>, def: &Definition) -> KeyFix {
    let i = f.line.saturating_sub(1);
    let line = w.lines.get(i).map(|l| l.0.as_str()).unwrap_or("");
    match rename {
        Some((old, new)) if super::rewrite::mentions(line, &old) => KeyFix {
            foreign: false,
            edits: vec![(i, LineFix::Replace(super::rewrite::rename_in(line, &old, &new)))],
            status: Status::Migrated,
            message: format!("now passes a scoped token ({new}) to {}, which sends it as `Authorization: Bearer`", def.at()),
        },
        _ => KeyFix {
            foreign: false,
            edits: Vec::new(),
            status: Status::Migrated,
            message: format!(
                "passes its value to {}, which now sends it as a Bearer token: store the new token where that value comes from",
                def.at()
            ),
        },
    }
}

/// The wrappers among the key sites, with their callers among the others.
pub(super) fn of(keys: &[&Finding], files: &BTreeMap<String, FileWork>) -> Vec<Wrapped> {
    let mut out: Vec<Wrapped> = Vec::new();
    for (i, f) in keys.iter().enumerate() {
        if !matches!(f.kind, Kind::Header | Kind::Sdk) {
            continue;
        }
        let Some(def) = files.get(&f.path).and_then(|w| around(f, w)) else { continue };
        match out.iter_mut().find(|w| w.def.path == def.path && w.def.span == def.span) {
            Some(w) => w.sites.push(i),
            None => out.push(Wrapped { def, sites: vec![i], callers: Vec::new() }),
        }
    }
    for w in &mut out {
        let lang = files.get(&w.def.path).map(|f| f.lang);
        for (j, f) in keys.iter().enumerate() {
            if w.sites.contains(&j) || w.def.contains(&f.path, f.line.saturating_sub(1)) {
                continue;
            }
            let Some(file) = files.get(&f.path) else { continue };
            if Some(file.lang) == lang && calls(&w.def, line_of(file, f)) {
                w.callers.push(j);
            }
        }
    }
    out
}

fn line_of<'a>(w: &'a FileWork, f: &Finding) -> &'a str {
    w.lines.get(f.line.saturating_sub(1)).map(|l| l.0.as_str()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Role, Severity};

    fn work(path: &str, text: &str) -> FileWork {
        FileWork {
            display: path.into(),
            real: path.into(),
            text: text.into(),
            lang: super::super::rewrite::lang_of(path, text),
            lines: super::super::split_lines(text),
            fixes: Default::default(),
        }
    }

    fn site(path: &str, line: usize) -> Finding {
        Finding {
            rule: "x-auth-key-header".into(),
            path: path.into(),
            line,
            column: 1,
            end_line: line,
            kind: Kind::Header,
            role: Role::Key,
            credential: None,
            severity: Severity::High,
            message: String::new(),
            fix: String::new(),
            snippet: String::new(),
            secret: None,
            tool: None,
            sdk: None,
            fingerprint: String::new(),
            history: None,
        }
    }

    #[test]
    fn a_python_class_feeding_a_member() {
        let text = "class CloudflareDNS:\n    def __init__(self, email, api_key, timeout=10):\n        self.api_key = api_key\n\n    def _headers(self):\n        return {\"X-Auth-Key\": self.api_key}\n\nprint(1)\n";
        let d = around(&site("c.py", 6), &work("c.py", text)).expect("wrapper");
        assert_eq!((d.name.as_str(), d.class, d.key_param.as_str()), ("CloudflareDNS", true, "api_key"));
        assert_eq!((d.span, d.email_param.as_deref()), ((0, 6), Some("email")));
        assert!(calls(&d, "    c = CloudflareDNS(os.environ[\"E\"], os.environ[\"K\"])"));
        assert!(!calls(&d, "class CloudflareDNS:"));
    }

    #[test]
    fn a_php_constructor_parameter() {
        let text = "<?php\nfinal class Client\n{\n    public function __construct(string $email, string $apiKey, ?Http $http = null)\n    {\n        $h = ['X-Auth-Key' => $apiKey];\n    }\n}\n";
        let d = around(&site("C.php", 6), &work("C.php", text)).expect("wrapper");
        assert_eq!(
            (d.name.as_str(), d.key_param.as_str(), d.email_param.as_deref()),
            ("Client", "apiKey", Some("email"))
        );
        assert_eq!(d.span, (1, 7));
        assert!(calls(&d, "$client = new Client(getenv('E'), getenv('K'));"));
    }

    #[test]
    fn a_function_reading_the_environment_is_not_one() {
        let text = "def purge_zone(zone):\n    headers = {\"X-Auth-Key\": os.environ[\"CF_API_KEY\"]}\n";
        assert!(around(&site("p.py", 2), &work("p.py", text)).is_none());
    }
}
