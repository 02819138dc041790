//! `fix`: from scan findings to edited files that use a scoped token instead of the key.
//!
//! Takes a `ScanResult`, returns a [`FixSet`]: the new text of each file (line-based edits
//! from `rewrite.rs`, line endings kept) and, for every key or email site, whether it was
//! migrated, kept on purpose (an e-mail argument a migrated wrapper no longer sends), needs a
//! hand edit (the file stores the secret itself: a patch never carries a secret), or was
//! declined (a rewrite would be a guess). A credential with one declined key
//! site is left alone everywhere, so no file ends up half key, half token. Printing the diff
//! and writing files (atomically, keeping mode and CRLF) also live here; `lib.rs` decides
//! which one runs.

mod apply;
mod gofmt;
mod imports;
mod plan;
mod terraform;
mod wrapper;
pub use plan::plan;
pub mod consumer;
pub mod paths;
pub mod rewrite;

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::Regex;
use serde::Serialize;

use crate::finding::{Finding, Kind, Role};
use rewrite::{Lang, LineFix, Rewrites};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Migrated,
    /// Left in place on purpose and harmless once the key is gone (an e-mail argument that a
    /// migrated wrapper no longer sends); the message says why.
    Kept,
    /// Needs a hand edit that the message spells out.
    Manual,
    Declined,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteFix {
    pub path: String,
    pub line: usize,
    pub role: Role,
    pub credential: Option<String>,
    pub status: Status,
    pub message: String,
    /// Last line of the site's construct (a multi-line call), for the honesty check.
    #[serde(skip)]
    pub end_line: usize,
}

#[derive(Debug, Clone)]
pub struct FileEdit {
    pub path: String,
    pub real: PathBuf,
    pub old: String,
    pub new: String,
    /// Hard-coded keys found in the file: never printed, checked against the diff.
    pub secrets: Vec<crate::secret::Secret>,
}

#[derive(Debug, Clone, Default)]
pub struct FixSet {
    pub edits: Vec<FileEdit>,
    pub sites: Vec<SiteFix>,
    /// Token variables the fixed code now reads, and keys to revoke.
    pub notes: Vec<String>,
}

/// Lines with their terminators, so CRLF survives a rewrite.
fn split_lines(text: &str) -> Vec<(String, String)> {
    text.split_inclusive('\n')
        .map(|l| {
            let body = l.trim_end_matches(['\n', '\r']);
            (body.to_string(), l[body.len()..].to_string())
        })
        .collect()
}

struct FileWork {
    display: String,
    real: PathBuf,
    text: String,
    lang: Lang,
    lines: Vec<(String, String)>,
    /// 0-based line -> fix
    fixes: BTreeMap<usize, LineFix>,
}

/// The outcome of one key site before credential-wide checks.
struct KeyFix {
    /// Not a Cloudflare site at all (another service's header): blocks nothing.
    foreign: bool,
    edits: Vec<(usize, LineFix)>,
    status: Status,
    message: String,
}

fn declined(message: impl Into<String>) -> KeyFix {
    KeyFix { foreign: false, edits: Vec::new(), status: Status::Declined, message: message.into() }
}

/// The host a header line's request goes to, when the URLs around it (else in the file)
/// are all some other service's: then `X-Auth-Key` is that service's header, not
/// Cloudflare's. No URL at all (a base URL from a variable) is not proof of anything.
fn foreign_host(w: &FileWork, i: usize) -> Option<String> {
    static URL: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"(?i)\bhttps?://([a-z0-9.-]+)").expect("url pattern"));
    let hosts = |from: usize, to: usize| -> Vec<String> {
        w.lines[from..to.min(w.lines.len())]
            .iter()
            .flat_map(|(l, _)| URL.captures_iter(l).map(|c| c[1].to_ascii_lowercase()).collect::<Vec<_>>())
            .collect()
    };
    let cf = |h: &String| h == "cloudflare.com" || h.ends_with(".cloudflare.com");
    let near = hosts(i.saturating_sub(12), i + 13);
    let seen = if near.is_empty() { hosts(0, w.lines.len()) } else { near };
    if seen.is_empty() || seen.iter().any(cf) {
        return None;
    }
    seen.into_iter().next()
}

/// Files that only hold values: the key cannot become a reference there.
fn stores_secret(lang: Lang) -> bool {
    matches!(lang, Lang::Data | Lang::Yaml | Lang::Docker)
}

fn key_site(f: &Finding, w: &FileWork, name: Option<&str>, rename: Option<(String, String)>, rw: &Rewrites) -> KeyFix {
    let i = f.line.saturating_sub(1);
    let Some((line, _)) = w.lines.get(i) else { return declined("the line is gone") };
    // The script's mode switch, not the variable, decides the scheme (K0p1 cloudflare-ddns-updater).
    if f.rule == "origin-ca-service-key-header" {
        return declined("Origin CA service keys are retired: send `Authorization: Bearer <token>` with a token holding `SSL and Certificates Write` instead of this header");
    }
    if f.rule == "ddns-script-global-auth-method" {
        return declined(
            "set `auth_method=\"token\"` and put the scoped token in `auth_key`; the X-Auth-Email header goes with it",
        );
    }
    if f.tool.as_deref() == Some("octodns") {
        // octoDNS treats `token` as an API token once `email` is gone (octodns-cloudflare README).
        return KeyFix {
            foreign: false,
            edits: Vec::new(),
            status: Status::Migrated,
            message: rw.of("octodns").and_then(|p| p.note.clone()).unwrap_or_default(),
        };
    }
    let token_var = rename.as_ref().map(|r| r.1.clone()).unwrap_or_else(|| match name {
        Some(c) if !c.contains('-') && !c.contains(':') && f.kind != Kind::Header => c.to_string(),
        _ => "CLOUDFLARE_API_TOKEN".into(),
    });
    let mut text = line.clone();
    if let Some(secret) = &f.secret {
        let raw = secret.expose();
        if stores_secret(w.lang) {
            let shown = rw.setting_line(w.lang, line);
            let hint = match (&rename, shown) {
                (Some((_, n)), _) => format!("`{n}`"),
                (None, LineFix::Replace(s)) => {
                    format!("the setting as `{}`", s.trim().split(['=', ':']).next().unwrap_or("").trim())
                }
                _ => "the token setting".into(),
            };
            return KeyFix {
                foreign: false,
                edits: Vec::new(),
                status: Status::Manual,
                message: format!("this file stores the key itself and a patch never carries a secret: replace the value with the new token by hand, under {hint}, then revoke the key"),
            };
        }
        if w.lang == Lang::TfVars {
            return KeyFix {
                foreign: false,
                edits: vec![(i, LineFix::Remove)],
                status: Status::Migrated,
                message: format!("hard-coded key removed: pass the token as TF_VAR_{token_var}"),
            };
        }
        let Some(reference) = rewrite::env_ref(w.lang, &token_var) else {
            return declined("no way to read an environment variable is known for this file type");
        };
        // The quoted literal (with its quotes) becomes the reference.
        let mut replaced = false;
        for q in ["\"", "'", ""] {
            let quoted = format!("{q}{raw}{q}");
            if text.contains(&quoted) {
                let with =
                    if q.is_empty() && w.lang == Lang::Shell { format!("${{{token_var}}}") } else { reference.clone() };
                text = text.replace(&quoted, &with);
                replaced = true;
                break;
            }
        }
        if !replaced {
            return declined("the hard-coded key is split or encoded on this line");
        }
    }
    let mut edits = Vec::new();
    let lower = text.to_ascii_lowercase();
    if lower.contains("x-auth-key") {
        if let Some(host) = foreign_host(w, i) {
            return KeyFix {
                foreign: true,
                edits: Vec::new(),
                status: Status::Declined,
                message: format!(
                    "not Cloudflare's: this request goes to {host}, whose x-auth-key header is its own; left alone"
                ),
            };
        }
        match rewrite::header_line(w.lang, &text, &token_var) {
            // An X-Auth-Email header on the same line goes with the key's.
            Ok(s) if s.to_ascii_lowercase().contains("x-auth-email") => {
                match rewrite::without_email_header(&s) {
                    Some(n) => edits.push((i, LineFix::Replace(n))),
                    None => return declined(
                        "the X-Auth-Email header on this line cannot be split from other code: edit the line by hand",
                    ),
                }
            }
            Ok(s) => edits.push((i, LineFix::Replace(s))),
            Err(why) => return declined(why),
        }
    } else if f.kind == Kind::Sdk || f.end_line > f.line {
        let last = f.end_line.max(f.line).saturating_sub(1);
        let mut any = false;
        for j in i..=last.min(w.lines.len().saturating_sub(1)) {
            let src = if j == i { text.clone() } else { w.lines[j].0.clone() };
            let fix = match rw.sdk_line(w.lang, &src) {
                LineFix::Keep => rw.setting_line(w.lang, &src),
                other => other,
            };
            match fix {
                LineFix::Keep if j == i && src != *line => edits.push((j, LineFix::Replace(src))),
                LineFix::Keep => {}
                other => {
                    any = true;
                    edits.push((j, other));
                }
            }
        }
        if !any {
            return declined("this client construction is not one scopesmith rewrites: switch it to the SDK's token constructor by hand");
        }
    } else {
        let fix = match rw.setting_line(w.lang, &text) {
            LineFix::Keep => LineFix::Replace(text.clone()),
            other => other,
        };
        if fix == LineFix::Replace(line.clone()) && rename.is_none() {
            return declined("nothing on this line maps to a token form");
        }
        edits.push((i, fix));
    }
    let reads = edits.iter().any(|(_, e)| matches!(e, LineFix::Replace(s) if s.contains(&token_var)));
    let message = if reads || rename.is_some() {
        format!("now reads a scoped token ({token_var})")
    } else {
        "now sent as a scoped token with the same value: store the new token where that value comes from".to_string()
    };
    KeyFix { foreign: false, edits, status: Status::Migrated, message }
}

fn email_site(f: &Finding, w: &mut FileWork) -> (Status, String) {
    let i = f.line.saturating_sub(1);
    match w.fixes.get(&i) {
        Some(LineFix::Remove) => return (Status::Migrated, "removed with the key".into()),
        // The key's header shares the line: the e-mail's header goes from the new line.
        Some(LineFix::Replace(s)) if s.to_ascii_lowercase().contains("x-auth-email") => {
            return match rewrite::without_email_header(s) {
                Some(new) => {
                    w.fixes.insert(i, LineFix::Replace(new));
                    (Status::Migrated, "X-Auth-Email header removed (a token needs no email)".into())
                }
                None => (
                    Status::Manual,
                    "the X-Auth-Email header shares its line with other code: remove it by hand".into(),
                ),
            };
        }
        // The key's rewrite changed the line, but the e-mail is still read there.
        Some(LineFix::Replace(s)) if f.credential.as_deref().is_some_and(|n| rewrite::mentions(s, n)) => {
            return (
                Status::Manual,
                format!(
                    "{} is still read on this line, which the key's rewrite changed: remove it by hand once nothing needs it",
                    f.credential.as_deref().unwrap_or_default()
                ),
            )
        }
        Some(_) => return (Status::Migrated, "removed with the key".into()),
        None => {}
    }
    let Some((line, _)) = w.lines.get(i).cloned() else { return (Status::Declined, "the line is gone".into()) };
    if rewrite::email_guard(&line).is_some() {
        w.fixes.insert(i, LineFix::Remove);
        return (Status::Migrated, "check that demands the e-mail removed (a token needs no e-mail)".into());
    }
    if matches!(w.lang, Lang::Yaml | Lang::Data | Lang::Terraform) && rewrite::email_mapping_alone(&line) {
        w.fixes.insert(i, LineFix::Remove);
        return (Status::Migrated, "X-Auth-Email header removed (a token needs no email)".into());
    }
    let prev = i.checked_sub(1).and_then(|p| w.lines.get(p)).map(|l| l.0.as_str());
    if line.to_ascii_lowercase().contains("x-auth-email") {
        return match rewrite::email_header_alone(&line, prev) {
            Ok(()) => {
                w.fixes.insert(i, LineFix::Remove);
                (Status::Migrated, "X-Auth-Email header removed (a token needs no email)".into())
            }
            Err(why) => (Status::Manual, why),
        };
    }
    if f.tool.as_deref() == Some("ddclient") {
        if let Some(pos) = line.find("login=") {
            let end = line[pos..].find([',', ' ']).map(|e| pos + e).unwrap_or(line.len());
            w.fixes.insert(i, LineFix::Replace(format!("{}login=token{}", &line[..pos], &line[end..])));
            return (Status::Migrated, "ddclient: login=token selects the API token".into());
        }
    }
    if f.end_line > f.line || w.lang == Lang::TfVars || f.tool.as_deref() == Some("wordpress") {
        return (
            Status::Manual,
            "the email setting is no longer needed: remove it (and its declaration) by hand once the token works"
                .into(),
        );
    }
    // YAML: a `- name: X` entry whose block goes on below (valueFrom, ...) spans lines.
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '-']).len();
    let next = w.lines.get(i + 1).map(|l| l.0.as_str()).filter(|l| !l.trim().is_empty());
    if matches!(w.lang, Lang::Yaml | Lang::Data)
        && next.is_some_and(|n| {
            indent(n) >= indent(&line) && !n.trim_start().starts_with('-') && line.trim_start().starts_with('-')
        })
    {
        return (Status::Manual, "this entry goes on over the next lines: remove the whole entry by hand".into());
    }
    let Some(name) = rewrite::assigned_name(&line) else {
        return (Status::Manual, "the email is set as part of a longer statement: remove it by hand".into());
    };
    // Code: the variable must be unused once the header is gone.
    let code = matches!(
        w.lang,
        Lang::Python | Lang::Js | Lang::Go | Lang::Php | Lang::Ruby | Lang::Rust | Lang::Jvm | Lang::CSharp
    );
    if code {
        let re = Regex::new(&format!(r"\b{}\b", regex::escape(&name))).expect("escaped name");
        let used = w.lines.iter().enumerate().any(|(j, (l, _))| {
            j != i
                && match w.fixes.get(&j) {
                    Some(LineFix::Remove) => false,
                    Some(LineFix::Replace(s)) => re.is_match(s),
                    _ => re.is_match(l),
                }
        });
        if used {
            return (Status::Manual, format!("`{name}` is still used in this file: remove it with its last use"));
        }
    }
    w.fixes.insert(i, LineFix::Remove);
    (Status::Migrated, "email setting removed (a token needs no email)".into())
}

/// One file's unified diff, `git apply`-able (`--- a/path`, `+++ b/path`), its paths
/// starting with `prefix` (see [`paths::repo_prefix`]).
fn file_diff(e: &FileEdit, prefix: &str) -> String {
    let d = similar::TextDiff::from_lines(&e.old, &e.new);
    let p = format!("{prefix}{}", e.path);
    let text = d.unified_diff().context_radius(3).header(&format!("a/{p}"), &format!("b/{p}")).to_string();
    format!("diff --git a/{p} b/{p}\n{text}")
}

/// Whether printing this diff would show a secret (a removed or context line holding a key).
/// Such a file is left out of the printed diff: masking would make the patch inapplicable.
pub fn diff_shows_secret(e: &FileEdit) -> bool {
    let text = file_diff(e, "");
    crate::report::redact::scrub(&text) != text || e.secrets.iter().any(|s| text.contains(s.expose()))
}

/// The unified diff of every edit that can be printed, paths relative to the scanned root;
/// see [`withheld`] for the others.
pub fn diff(set: &FixSet) -> String {
    diff_at(set, "")
}

/// [`diff`] with every path starting with `prefix` (the scanned root below the repository).
pub fn diff_at(set: &FixSet, prefix: &str) -> String {
    set.edits.iter().filter(|e| !diff_shows_secret(e)).map(|e| file_diff(e, prefix)).collect()
}

/// Files whose diff is not printed because it would show a hard-coded key.
pub fn withheld(set: &FixSet) -> Vec<&str> {
    set.edits.iter().filter(|e| diff_shows_secret(e)).map(|e| e.path.as_str()).collect()
}

/// Sites and notes, for stderr.
pub fn summary(set: &FixSet, written: Option<usize>) -> String {
    let mut s = String::new();
    let held = withheld(set);
    for site in &set.sites {
        let in_diff = written.is_some() || !held.contains(&site.path.as_str());
        s.push_str(&format!(
            "{}:{}: {} ({}): {}\n",
            site.path,
            site.line,
            match site.status {
                Status::Migrated if in_diff => "migrated",
                // The printed diff leaves this file out (it would show the key).
                Status::Migrated => "migrated by --apply only",
                Status::Kept => "kept",
                Status::Manual => "edit by hand",
                Status::Declined => "declined",
            },
            site.credential.as_deref().unwrap_or(match site.role {
                Role::Key => "key",
                Role::Email => "email",
            }),
            site.message
        ));
    }
    for n in &set.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    if written.is_none() {
        for p in withheld(set) {
            s.push_str(&format!(
                "{p}: holds a hard-coded key, so its diff is not printed: run `scopesmith fix --apply` to rewrite it\n"
            ));
        }
    }
    match written {
        Some(n) => s.push_str(&format!("wrote {n} file{}\n", if n == 1 { "" } else { "s" })),
        None if !set.edits.is_empty() => {
            s.push_str("run again with --apply to write these changes, or pipe the diff to `git apply`\n")
        }
        None => s.push_str("nothing to rewrite\n"),
    }
    s
}

/// Writes every edit or none; see `apply.rs`.
pub fn apply(set: &FixSet, roots: &[PathBuf]) -> Result<usize, crate::Error> {
    apply::apply(&set.edits, roots)
}
