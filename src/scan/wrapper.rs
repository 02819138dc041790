//! Wrappers: a function or class whose body sends the X-Auth headers (or builds an SDK client
//! from the key) with a value its caller passes in turns each caller into a key use, and the
//! caller's argument names the credential:
//!
//! ```python
//! class CloudflareAPI:                      # cfapi.py
//!     def __init__(self, email, api_key): ...
//!     def _headers(self): return {"X-Auth-Key": self.api_key}
//! api = CloudflareAPI(os.environ["CF_EMAIL"], os.environ["CF_API_KEY"])   # main.py: a use
//! ```
//!
//! A caller whose argument names no credential (a settings object, its own parameter) is no
//! new site: the definition is already one.
//!
//! Callers are looked for in the definition's file and the files of its folder (and the folder
//! above), in the same language, among the files the walk admitted (so ignore files and
//! excludes rule them as they rule the scan). This is a same-project lookup kept in one place
//! so that it can move onto the project graph; it reads at most [`MAX_FILES`] files per
//! definition, through the scan's reader, and keeps the text of each file it adds a site to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::credential::{literal_key, Aliases};
use super::seen::Seen;
use super::texts::Texts;
use crate::finding::{Finding, Kind, Role, Severity, WarningReason};
use crate::secret::Secret;

/// Files read per definition when looking for callers, and the largest file read.
const MAX_FILES: usize = 400;
const MAX_BYTES: u64 = 1 << 20;

/// Names too common to follow across files: a call to `get(` is not a call to the wrapper.
pub(crate) const GENERIC: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "request",
    "main",
    "run",
    "call",
    "send",
    "fetch",
    "init",
    "new",
    "New",
    "client",
    "headers",
    "__init__",
    "constructor",
    "__construct",
    "initialize",
    "setup",
    "handler",
    "execute",
    "query",
    "api",
    "make_request",
    "do_request",
    "self",
    "this",
];

/// Function and class openings, per language family: (name, parameter list).
static DEF: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(
        r"(?x)^\s*(?:
            (?:export\s+)?(?:default\s+)?(?:async\s+)?(?:def|function|sub|fn|func)\s+(?:\([^)]*\)\s*)?(?:self\.)?(?P<n1>[A-Za-z_]\w*)\s*(?:\((?P<p1>[^)]*)\)?)?
          | (?:public\s+|private\s+|protected\s+|static\s+|async\s+)*(?P<n2>constructor|__construct)\s*\((?P<p2>[^)]*)\)?
          | (?:export\s+)?(?:const|let|var)\s+(?P<n3>[A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:function\s*)?\((?P<p3>[^)]*)\)?
          | (?:public\s+|private\s+|protected\s+|static\s+|final\s+)*function\s+(?P<n4>\w+)\s*\((?P<p4>[^)]*)\)?
        )",
    )
    .expect("definition pattern")
});

pub(crate) static CLASS: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"^\s*(?:export\s+)?(?:default\s+)?(?:abstract\s+|final\s+)?class\s+(?P<n>[A-Za-z_]\w*)")
        .expect("class pattern")
});

/// `self.api_key`, `this.key`, `$this->authKey`, `@key`: a member the constructor set.
pub(crate) static MEMBER: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::new(r"(?:\bself\.|\bthis\.|\$this->|@)([A-Za-z_]\w*)").expect("member pattern"));

pub(crate) static WORD: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::new(r"[A-Za-z_$][\w$]*").expect("word pattern"));

/// A definition whose callers hand it the key.
struct Wrapper {
    name: String,
    /// `new Name(` in JS/PHP as well as `Name(`.
    class: bool,
    /// Position and name of the parameter that receives the key.
    key_param: (usize, String),
    def_path: String,
    def_line: usize,
    family: &'static [&'static str],
    finding: usize,
}

const FAMILIES: &[&[&str]] = &[
    &["py"],
    &["js", "mjs", "cjs", "ts", "mts", "tsx", "jsx"],
    &["go"],
    &["php"],
    &["rb"],
    &["pl", "pm"],
    &["sh", "bash"],
];

/// Whether a file of this name is in a language wrappers are looked for in: the walk
/// remembers these (in [`Seen`]) so callers are only looked for in files it admitted.
pub fn in_family(name: &str) -> bool {
    // Asked for every walked file: no allocation.
    name.rsplit_once('.').is_some_and(|(_, ext)| FAMILIES.iter().any(|f| f.iter().any(|e| e.eq_ignore_ascii_case(ext))))
}

/// Adds a finding for every caller of a wrapper around a key use. Callers are looked for only
/// in files the walk admitted (`seen`); a file that gains a finding is kept in `texts`, so
/// later stages read the text these findings came from.
pub fn add_callers(
    findings: &mut Vec<Finding>,
    sources: &mut BTreeMap<String, PathBuf>,
    texts: &mut Texts,
    seen: &Seen,
    max_file_size: u64,
) {
    let mut wrappers = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if f.role != Role::Key || !matches!(f.kind, Kind::Header | Kind::Sdk) {
            continue;
        }
        let Some(family) = family_of(&f.path) else { continue };
        // The scan kept the text of every file with a finding.
        let Some(text) = texts.text(&f.path) else { continue };
        if let Some(mut w) = wrapper_around(&text, f.line - 1) {
            w.def_path = f.path.clone();
            w.family = family;
            w.finding = i;
            wrappers.push(w);
        }
    }
    // One wrapper per name and file: several headers in one function are one definition.
    let mut seen_names = BTreeSet::new();
    wrappers.retain(|w| seen_names.insert((w.def_path.clone(), w.name.clone())));
    let taken: BTreeSet<(String, usize)> = findings.iter().map(|f| (f.path.clone(), f.line)).collect();
    let mut cache: BTreeMap<String, Option<Arc<str>>> = BTreeMap::new();
    let mut added: Vec<Finding> = Vec::new();
    let mut added_at = BTreeSet::new();
    let mut callers: BTreeMap<String, (PathBuf, Arc<str>)> = BTreeMap::new();
    for w in &wrappers {
        let Some(def_real) = sources.get(&w.def_path).cloned() else { continue };
        for (display, real) in candidates(&w.def_path, &def_real, w.family) {
            if !seen.contains(&real) {
                continue;
            }
            let text = cache
                .entry(display.clone())
                .or_insert_with(|| texts.text(&display).or_else(|| read(&real, &display, max_file_size)))
                .clone();
            let Some(text) = text else { continue };
            if !text.contains(w.name.as_str()) {
                continue;
            }
            for (line, arg) in calls(&text, w) {
                if (display == w.def_path && line == w.def_line)
                    || taken.contains(&(display.clone(), line + 1))
                    || !added_at.insert((display.clone(), line))
                {
                    continue;
                }
                let def = &findings[w.finding];
                let f = caller_finding(def, w, &display, &text, line, arg.as_deref());
                // An argument that names no credential (a settings object, the caller's own
                // parameter) says nothing the definition's site does not: no new site.
                if f.credential.is_none() && f.secret.is_none() {
                    continue;
                }
                added.push(f);
                callers.entry(display.clone()).or_insert_with(|| (real.clone(), text.clone()));
            }
        }
    }
    for (display, (real, text)) in callers {
        if let std::collections::btree_map::Entry::Vacant(slot) = sources.entry(display.clone()) {
            texts.walked(display.clone(), real.clone());
            texts.keep(display, text.to_string());
            slot.insert(real);
        }
    }
    findings.extend(added);
}

fn family_of(path: &str) -> Option<&'static [&'static str]> {
    let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
    FAMILIES.iter().copied().find(|f| f.contains(&ext.as_str()))
}

/// A caller candidate's text, read as the scan reads (same decoding); a file larger than
/// [`MAX_BYTES`] (or than the scan's cap) is not looked in.
fn read(real: &Path, display: &str, max_file_size: u64) -> Option<Arc<str>> {
    let mut bytes = Vec::new();
    let loaded = super::source::read(real, &|| display.to_string(), MAX_BYTES.min(max_file_size), &mut bytes);
    if loaded.warning.is_some_and(|w| w.reason == WarningReason::TooLarge) {
        return None;
    }
    Some(loaded.content?.into_text(&bytes))
}

/// The wrapper enclosing line `line` (0-based) of `text`, if the key there comes from a
/// parameter or a member set by the constructor.
fn wrapper_around(text: &str, line: usize) -> Option<Wrapper> {
    let lines: Vec<&str> = text.lines().collect();
    let use_line = *lines.get(line)?;
    let Enclosing { function: (fname, params, fline), class } = enclosing(&lines, line)?;
    let class = class.map(|(name, _)| name);
    let words: BTreeSet<&str> = WORD.find_iter(use_line).map(|m| m.as_str().trim_start_matches('$')).collect();
    let is_ctor = matches!(fname.as_str(), "__init__" | "constructor" | "__construct" | "initialize" | "new");
    // The key is a parameter of the enclosing function.
    if let Some((pos, p)) = params.iter().enumerate().find(|(_, p)| words.contains(p.as_str())) {
        let (name, class_call) = if is_ctor { (class.clone()?, true) } else { (fname, false) };
        return usable(name, class_call, (pos, p.clone()), fline);
    }
    // The key is a member: the class is the wrapper, its constructor's parameter feeds it.
    let member = MEMBER.captures(use_line).map(|c| c[1].to_string())?;
    let class_name = class?;
    let ctor_params = constructor_params(&lines, &class_name)?;
    let pos = ctor_params
        .iter()
        .position(|p| *p == member)
        .or_else(|| ctor_params.iter().position(|p| p.to_ascii_lowercase().contains("key")))?;
    usable(class_name, true, (pos, ctor_params[pos].clone()), fline)
}

fn usable(name: String, class: bool, key_param: (usize, String), def_line: usize) -> Option<Wrapper> {
    (name.len() >= 4 && !GENERIC.contains(&name.as_str())).then(|| Wrapper {
        name,
        class,
        key_param,
        def_path: String::new(),
        def_line,
        family: &[],
        finding: 0,
    })
}

/// The function (name, parameters, 0-based line) enclosing a line, and the class (name, line)
/// around that function, if any: found by indentation, as the scan's and fix's wrapper
/// passes both need them.
pub(crate) struct Enclosing {
    pub function: (String, Vec<String>, usize),
    pub class: Option<(String, usize)>,
}

/// The definition around 0-based `line` of `lines`: the nearest less-indented definition
/// above it, then the class above that.
pub(crate) fn enclosing(lines: &[&str], line: usize) -> Option<Enclosing> {
    let indent = |s: &str| s.len() - s.trim_start().len();
    let mut current = indent(lines.get(line)?);
    let mut function = None;
    let mut class = None;
    for l in (0..line).rev() {
        let t = lines[l];
        // A brace on its own line opens the block of the signature above it.
        if t.trim().is_empty() || t.trim() == "{" || current == 0 {
            continue;
        }
        let i = indent(t);
        if i >= current {
            continue;
        }
        current = i;
        if function.is_none() {
            if let Some((name, params)) = def_captures(t) {
                function = Some((name, params, l));
                continue;
            }
        }
        if let Some(c) = CLASS.captures(t) {
            class = Some((c["n"].to_string(), l));
            break;
        }
    }
    Some(Enclosing { function: function?, class })
}

/// A function or constructor opening: its name and parameters.
pub(crate) fn def_captures(line: &str) -> Option<(String, Vec<String>)> {
    let c = DEF.captures(line)?;
    let name = ["n1", "n2", "n3", "n4"].iter().find_map(|n| c.name(n))?.as_str().to_string();
    let params = ["p1", "p2", "p3", "p4"].iter().find_map(|n| c.name(n)).map(|m| m.as_str()).unwrap_or("");
    Some((name, parse_params(params)))
}

/// `self, email: str, api_key: str = None` -> `[email, api_key]`; PHP's
/// `string $email, private string $apiKey` -> `[email, apiKey]` (receivers dropped).
fn parse_params(params: &str) -> Vec<String> {
    params
        .split(',')
        .filter_map(|p| {
            // The parameter's own name: PHP's `$name`, else the first word after modifiers.
            let p = p.split(['=', ':']).next().unwrap_or("").trim();
            if let Some(d) = p.find('$') {
                return WORD.find(&p[d + 1..]).map(|m| m.as_str().to_string());
            }
            WORD.find(p.trim_start_matches(['*', '&'])).map(|m| m.as_str().to_string())
        })
        .filter(|p| !matches!(p.as_str(), "self" | "cls" | "this"))
        .collect()
}

fn constructor_params(lines: &[&str], class: &str) -> Option<Vec<String>> {
    let start = lines.iter().position(|l| CLASS.captures(l).is_some_and(|c| &c["n"] == class))?;
    lines[start + 1..].iter().take(400).find_map(|l| {
        let (name, params) = def_captures(l)?;
        matches!(name.as_str(), "__init__" | "constructor" | "__construct" | "initialize").then_some(params)
    })
}

/// Files to look for callers in: the definition's folder (and below, a little) and the folder
/// above, in the same language family.
fn candidates(def_display: &str, def_real: &Path, family: &[&str]) -> Vec<(String, PathBuf)> {
    let mut out = vec![(def_display.to_string(), def_real.to_path_buf())];
    let (Some(dir), Some(disp_dir)) = (def_real.parent(), Path::new(def_display).parent()) else { return out };
    let mut stack = vec![(dir.to_path_buf(), disp_dir.to_path_buf(), 0usize)];
    if let (Some(up), Some(disp_up)) = (dir.parent(), disp_dir.parent()) {
        if !disp_dir.as_os_str().is_empty() {
            // The folder above, its files only (a `main.py` beside the package).
            push_files(&mut out, up, disp_up, family);
        }
    }
    while let Some((d, disp, depth)) = stack.pop() {
        if out.len() >= MAX_FILES {
            break;
        }
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() && depth < 2 && !name.starts_with('.') && !SKIP.contains(&name.as_str()) {
                stack.push((e.path(), disp.join(&name), depth + 1));
            } else if ft.is_file() && has_ext(&name, family) {
                out.push((display_of(&disp.join(&name)), e.path()));
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out.truncate(MAX_FILES);
    out
}

const SKIP: &[&str] = &["node_modules", "vendor", "venv", "__pycache__", "dist", "build", "target"];

fn push_files(out: &mut Vec<(String, PathBuf)>, dir: &Path, disp: &Path, family: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().is_ok_and(|t| t.is_file()) && has_ext(&name, family) {
            out.push((display_of(&disp.join(&name)), e.path()));
        }
    }
}

fn has_ext(name: &str, family: &[&str]) -> bool {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| family.contains(&e.to_ascii_lowercase().as_str()))
}

fn display_of(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Calls of the wrapper in `text`: 0-based line and the argument that carries the key.
fn calls(text: &str, w: &Wrapper) -> Vec<(usize, Option<String>)> {
    let name = regex::escape(&w.name);
    // `Name(`, `obj.Name(`, `new Name(`, `Name.new(` (Ruby), `Name->new(` (Perl).
    let pattern = if w.class {
        format!(r"(?:\bnew\s+(?:[\w\\]+\\)?{name}\b\s*\(|\b{name}(?:\.new|->new|::new)?\s*\()")
    } else {
        format!(r"(?:^|[^\w$])(?:[\w$]+(?:\.|->|::))?{name}\s*\(")
    };
    let Ok(re) = crate::pattern::new(&pattern) else { return Vec::new() };
    let mut out = Vec::new();
    let mut line_starts = vec![0];
    line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    for m in re.find_iter(text) {
        let line = line_starts.partition_point(|&s| s <= m.start()) - 1;
        let line_text = text[line_starts[line]..].lines().next().unwrap_or("");
        let t = line_text.trim_start();
        if DEF.is_match(line_text)
            || CLASS.is_match(line_text)
            || ["#", "//", "/*", "* ", "--"].iter().any(|p| t.starts_with(p))
        {
            continue;
        }
        let args = arguments(&text[m.end()..]);
        out.push((line, key_argument(&args, &w.key_param)));
    }
    out
}

/// The top-level comma-separated arguments after an opening parenthesis (up to 2000 bytes).
fn arguments(after: &str) -> Vec<String> {
    let mut depth = 0i32;
    let mut args = vec![String::new()];
    let mut quote: Option<char> = None;
    for c in after.chars().take(2000) {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') if depth == 0 => break,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                args.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = args.last_mut() {
            last.push(c);
        }
    }
    args.into_iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect()
}

/// `api_key=os.environ["K"]` by name, else the argument at the key parameter's position.
fn key_argument(args: &[String], (pos, name): &(usize, String)) -> Option<String> {
    let named = args.iter().find_map(|a| {
        let (k, v) = a.split_once(['=', ':'])?;
        (k.trim().trim_start_matches('$') == name && !v.starts_with('=')).then(|| v.trim().to_string())
    });
    named.or_else(|| args.get(*pos).cloned())
}

fn caller_finding(def: &Finding, w: &Wrapper, path: &str, text: &str, line: usize, arg: Option<&str>) -> Finding {
    let line_text = text.lines().nth(line).unwrap_or("");
    let aliases = Aliases::of(text);
    let secret = arg.and_then(literal_key).map(|s| Secret::new(s.to_string()));
    let credential = arg.and_then(|a| aliases.resolve(a)).map(|r| r.name);
    let mut snippet = line_text.trim_end().to_string();
    if let Some(s) = &secret {
        snippet = snippet.replace(s.expose(), &s.masked());
    }
    let snippet = crate::report::redact::scrub(&snippet);
    let column = line_text.find(w.name.as_str()).map(|b| line_text[..b].chars().count() + 1).unwrap_or(1);
    let (kind, severity) =
        if secret.is_some() { (Kind::Literal, Severity::Critical) } else { (Kind::Sdk, def.severity) };
    Finding {
        rule: def.rule.clone(),
        path: path.to_string(),
        line: line + 1,
        column,
        end_line: line + 1,
        kind,
        role: Role::Key,
        credential,
        severity,
        message: format!(
            "calls `{}` ({}:{}), which authenticates with the Global API Key its caller passes",
            w.name,
            w.def_path,
            w.def_line + 1
        ),
        fix: format!("Pass a scoped API token here and make `{}` send `Authorization: Bearer <token>`.", w.name),
        fingerprint: super::detect::fingerprint(&def.rule, path, &snippet),
        snippet: snippet.chars().take(200).collect(),
        secret,
        tool: def.tool.clone(),
        sdk: def.sdk.clone(),
        history: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_around_the_header_is_a_wrapper() {
        let text = "class CloudflareAPI:\n    def __init__(self, email, api_key):\n        self.email = email\n        self.api_key = api_key\n\n    def _headers(self):\n        return {\"X-Auth-Key\": self.api_key}\n";
        let w = wrapper_around(text, 6).expect("wrapper");
        assert_eq!((w.name.as_str(), w.class, w.key_param.0), ("CloudflareAPI", true, 1));
    }

    #[test]
    fn a_function_taking_the_key_is_a_wrapper() {
        let text = "def purge_zone(zone, email, key):\n    headers = {\n        \"X-Auth-Key\": key,\n    }\n";
        let w = wrapper_around(text, 2).expect("wrapper");
        assert_eq!((w.name.as_str(), w.class, w.key_param.0), ("purge_zone", false, 2));
    }

    #[test]
    fn a_function_reading_the_environment_is_not() {
        let text = "def purge_zone(zone):\n    headers = {\"X-Auth-Key\": os.environ[\"CF_API_KEY\"]}\n";
        assert!(wrapper_around(text, 1).is_none());
    }

    #[test]
    fn arguments_are_split_at_the_top_level() {
        let args = arguments("os.environ.get(\"E\"), os.environ.get(\"K\"), zone=f(a, b))\nrest");
        assert_eq!(args, vec!["os.environ.get(\"E\")", "os.environ.get(\"K\")", "zone=f(a, b)"]);
        assert_eq!(key_argument(&args, &(1, "key".into())).as_deref(), Some("os.environ.get(\"K\")"));
        let named = arguments("email=E, api_key=os.environ[\"K\"])");
        assert_eq!(key_argument(&named, &(0, "api_key".into())).as_deref(), Some("os.environ[\"K\"]"));
    }
}
