//! Lists the files to scan under each root: `.gitignore`-aware, parallel, links not followed
//! unless asked, dependency and VCS folders skipped by default.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::{WalkBuilder, WalkState};

use super::ignores::Ignores;
use crate::finding::{Warning, WarningReason};

/// Installed dependencies and caches, normally untracked; `--no-ignore` scans them too.
/// `vendor/` is not among them: vendored code is committed, so a key in it is in the history.
pub(crate) const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "bower_components",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".terraform",
    ".gradle",
    ".next",
];

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub no_ignore: bool,
    pub follow_links: bool,
    pub threads: usize,
    pub excludes: Vec<String>,
}

/// A file found by the walk, with its path relative to the scan root for reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileEntry {
    pub display: String,
    pub path: PathBuf,
}

/// A file as the walk hands it over. Its display path is built only when asked: most files
/// never need one (a string per file was 3% of a scan).
pub struct Walked<'a> {
    pub path: PathBuf,
    root: &'a Path,
    prefix: &'a str,
}

impl Walked<'_> {
    pub fn display(&self) -> String {
        display_path(self.root, &self.path, self.prefix)
    }
}

/// `message` with the root's path (as given, and as resolved) taken off the paths in it.
fn relative_message(message: &str, root: &Path) -> String {
    let mut out = message.to_string();
    let real = root.canonicalize().ok();
    for r in [Some(root.to_path_buf()), real].into_iter().flatten() {
        let r = r.to_string_lossy().trim_end_matches('/').to_string();
        if r.is_empty() || r == "." {
            continue;
        }
        out = out.replace(&format!("{r}/"), "").replace(&r, ".");
    }
    out
}

/// Walks `root` on the walker's threads, handing each file to `visit` as it is found (so the
/// scan runs while the walk goes on and no list of the tree is ever held), and returns the
/// warnings.
pub fn walk(root: &Path, prefix: &str, opts: &WalkOptions, visit: &(dyn Fn(Walked<'_>) + Sync)) -> Vec<Warning> {
    let warnings = Mutex::new(Vec::new());
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        // Ignore files are read by `ignores`, with a bound; the walker's own reading has none.
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(opts.follow_links)
        .threads(opts.threads);
    if !opts.excludes.is_empty() {
        let mut ov = ignore::overrides::OverrideBuilder::new(root);
        for ex in &opts.excludes {
            // Overrides are whitelists; `!` turns a glob into an exclusion.
            let _ = ov.add(&format!("!{ex}"));
        }
        if let Ok(ov) = ov.build() {
            builder.overrides(ov);
        }
    }
    let skip_deps = !opts.no_ignore;
    let ignores = (!opts.no_ignore).then(|| Arc::new(Ignores::new(root, prefix)));
    let filter = ignores.clone();
    builder.filter_entry(move |e| {
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        if e.depth() == 0 {
            return true;
        }
        if is_dir && (e.file_name() == ".git" || skip_deps && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d)) {
            return false;
        }
        !filter.as_ref().is_some_and(|ig| ig.ignored(e.path(), is_dir))
    });
    let root_canon = root.canonicalize().ok();
    builder.build_parallel().run(|| {
        let warnings = &warnings;
        let root_canon = root_canon.clone();
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    let Some(ft) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    // Built only for what is reported or scanned, not for every folder walked.
                    let display = || display_path(root, entry.path(), prefix);
                    if entry.path_is_symlink() && !ft.is_symlink() && leaves(root_canon.as_deref(), entry.path()) {
                        // A followed link (its type is its target's), checked at the link
                        // itself: the files under a followed folder link are not links.
                        push(
                            warnings,
                            Warning {
                                path: display(),
                                reason: WarningReason::NotAFile,
                                message: "link points outside the scanned root: skipped".into(),
                            },
                        );
                        return WalkState::Skip;
                    }
                    if ft.is_dir() {
                        return WalkState::Continue;
                    }
                    if ft.is_symlink() {
                        // Not followed (the default): a link is neither scanned nor a problem.
                        return WalkState::Continue;
                    }
                    if !ft.is_file() {
                        push(
                            warnings,
                            Warning {
                                path: display(),
                                reason: WarningReason::NotAFile,
                                message: "not a regular file (FIFO, socket or device): skipped".into(),
                            },
                        );
                        return WalkState::Continue;
                    }
                    visit(Walked { path: entry.into_path(), root, prefix });
                }
                Err(err) => {
                    let (path, reason) = describe(&err);
                    push(
                        warnings,
                        Warning {
                            path: path.map(|p| display_path(root, &p, prefix)).unwrap_or_else(|| prefix.to_string()),
                            reason,
                            // The walker's message names paths in full: relative to the root, as
                            // every other path in the output is.
                            message: relative_message(&err.to_string(), root),
                        },
                    );
                }
            }
            WalkState::Continue
        })
    });
    let mut warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    warnings.extend(ignores.iter().flat_map(|ig| ig.take_warnings()));
    warnings.sort_by(|a, b| (&a.path, a.reason).cmp(&(&b.path, b.reason)));
    warnings.dedup();
    warnings
}

/// Whether a followed link resolves outside the scanned root.
fn leaves(root: Option<&Path>, link: &Path) -> bool {
    match (root, link.canonicalize()) {
        (Some(root), Ok(target)) => !target.starts_with(root),
        _ => false,
    }
}

fn push<T>(v: &Mutex<Vec<T>>, item: T) {
    v.lock().unwrap_or_else(|e| e.into_inner()).push(item);
}

fn describe(err: &ignore::Error) -> (Option<PathBuf>, WarningReason) {
    match err {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), describe(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => describe(err),
        ignore::Error::Loop { child, .. } => (Some(child.clone()), WarningReason::SymlinkLoop),
        _ => (None, WarningReason::Unreadable),
    }
}

/// `/`-separated, relative to the root, behind the root's own prefix when several are scanned.
pub fn display_path(root: &Path, path: &Path, prefix: &str) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    // The walker joins names with `/`: a plain UTF-8 path needs no splitting into components.
    #[cfg(unix)]
    if let Some(rel) = rel.to_str().filter(|r| r.split('/').all(|s| !s.is_empty() && s != "." && s != "..")) {
        let mut out = String::with_capacity(prefix.len() + 1 + rel.len());
        out.push_str(prefix);
        if !prefix.is_empty() && !prefix.ends_with('/') {
            out.push('/');
        }
        out.push_str(rel);
        return out;
    }
    let mut out = String::from(prefix);
    for comp in rel.components() {
        if !out.is_empty() && !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(&comp.as_os_str().to_string_lossy());
    }
    if out.is_empty() {
        // The root is itself a file.
        out = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The components-based spelling, which the fast path must agree with.
    fn slow(root: &Path, path: &Path, prefix: &str) -> String {
        let rel = path.strip_prefix(root).unwrap_or(path);
        let mut out = String::from(prefix);
        for comp in rel.components() {
            if !out.is_empty() && !out.ends_with('/') {
                out.push('/');
            }
            out.push_str(&comp.as_os_str().to_string_lossy());
        }
        out
    }

    #[test]
    fn display_paths_are_the_components_joined() {
        for (root, path, prefix) in [
            (".", "./a/b.py", ""),
            (".", "./.github/workflows/ci.yml", ""),
            ("repo", "repo/x/y", ""),
            ("repo/", "repo/x/y", "repo"),
            ("/abs/root", "/abs/root/deep/er/file.tf", "root2/"),
            (".", "./a//b", ""),
            (".", "./a/./b", ""),
            (".", "./a/../b", ""),
        ] {
            let (root, path) = (Path::new(root), Path::new(path));
            assert_eq!(display_path(root, path, prefix), slow(root, path, prefix), "{path:?} under {root:?}");
        }
        assert_eq!(display_path(Path::new("f.sh"), Path::new("f.sh"), ""), "f.sh", "a file root names itself");
    }
}
