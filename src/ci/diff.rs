//! `--diff-base REV`: which lines changed since a git revision, so that a pull request is
//! judged only on what it adds.
//!
//! Runs `git -C ROOT diff --unified=0 --relative REV` (the work tree against REV, so
//! uncommitted edits count too) and keeps the added side of each hunk. Paths come out relative
//! to the root, like finding paths. Files git does not track are not in the diff.
//!
//! The tree may be a stranger's: git runs with hooks, fsmonitor, external diff and textconv
//! drivers off and with fixed path prefixes, so neither the repository's own config nor the
//! user's can run a command or change the shape of the output. File names are read exactly
//! as git writes them (a trailing tab after names with spaces, C quoting for odd bytes).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::Path;
use std::process::Command;

use miette::Diagnostic;
use thiserror::Error;

/// Added or changed line ranges (new side, 1-based) per path relative to the root.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    pub files: BTreeMap<String, Vec<RangeInclusive<usize>>>,
}

impl Changes {
    pub fn contains(&self, path: &str, line: usize) -> bool {
        self.files.get(path).is_some_and(|ranges| ranges.iter().any(|r| r.contains(&line)))
    }
}

#[derive(Debug, Error, Diagnostic)]
pub enum DiffError {
    #[error("{rev} is not in this clone")]
    #[diagnostic(
        code(scopesmith::diff::missing_rev),
        help(
            "fetch it with `git fetch --depth=N origin {rev}` or use `fetch-depth: 0` in actions/checkout \
             (a shallow clone only has the newest commits)"
        )
    )]
    MissingRev { rev: String },

    #[error("`git diff {rev}` failed in {root}: {stderr}")]
    #[diagnostic(
        code(scopesmith::diff::git),
        help("--diff-base needs the scanned directory to be inside a git work tree, and git on PATH")
    )]
    Git { rev: String, root: String, stderr: String },
}

/// The lines added or changed under `root` since `rev`.
pub fn changes(root: &Path, rev: &str) -> Result<Changes, DiffError> {
    // A file root: diff its directory, limited to the file.
    let (dir, only) = if root.is_file() {
        (root.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")), root.file_name())
    } else {
        (root, None)
    };
    let git_err = |stderr: String| DiffError::Git { rev: rev.into(), root: root.display().to_string(), stderr };
    let verify = git(dir)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map_err(|e| git_err(e.to_string()))?;
    if !verify.status.success() {
        let inside =
            git(dir).args(["rev-parse", "--is-inside-work-tree"]).output().map_err(|e| git_err(e.to_string()))?;
        if !inside.status.success() {
            return Err(git_err(String::from_utf8_lossy(&inside.stderr).trim().to_string()));
        }
        return Err(DiffError::MissingRev { rev: rev.into() });
    }
    let mut cmd = git(dir);
    cmd.args(["diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames"]).args([
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "--relative",
        "--end-of-options",
        rev,
        "--",
    ]);
    if let Some(f) = only {
        cmd.arg(f);
    }
    let out = cmd.output().map_err(|e| git_err(e.to_string()))?;
    if !out.status.success() {
        return Err(git_err(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// `git -C dir` that the scanned repository cannot make run anything: no hooks, no fsmonitor
/// daemon, no pager, no external diff, no transport, no prompts, nothing from the environment
/// that points git elsewhere. The one builder for every git scopesmith runs on a tree
/// (`--diff-base` here, `scan --history` in `history::git`). The user's and system's config
/// may still be read (`safe.directory` lives there). Content filters (`filter.<name>.clean`,
/// `smudge`, `process`: commands a `.gitattributes` line runs on each file) are switched off
/// one by one, as git has no switch for all of them: see [`filter_drivers`].
pub(crate) fn git(dir: &Path) -> Command {
    let mut cmd = bare_git(dir);
    let drivers = filter_drivers(dir);
    // Through the environment, not `-c`: a driver's name may hold any character, `=` too.
    cmd.env("GIT_CONFIG_COUNT", (drivers.len() * 4).to_string());
    for (i, name) in drivers.iter().enumerate() {
        for (j, (key, value)) in
            [("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")].into_iter().enumerate()
        {
            cmd.env(format!("GIT_CONFIG_KEY_{}", i * 4 + j), format!("filter.{name}.{key}"));
            cmd.env(format!("GIT_CONFIG_VALUE_{}", i * 4 + j), value);
        }
    }
    cmd
}

/// Names of the content filters any config in force for `dir` defines. Reading config runs
/// nothing; an empty command is git's "no filter".
fn filter_drivers(dir: &Path) -> Vec<String> {
    let Ok(out) = bare_git(dir)
        .args(["config", "--null", "--name-only", "--get-regexp", r"^filter\..+\.(clean|smudge|process)$"])
        .output()
    else {
        return Vec::new();
    };
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter_map(|key| key.strip_prefix("filter.")?.rsplit_once('.').map(|(name, _)| name.to_string()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// [`git`] without the content filters switched off, for commands that read no file
/// contents (`rev-parse`, `remote get-url`): one process instead of two.
pub(crate) fn plain_git(dir: &Path) -> Command {
    bare_git(dir)
}

fn bare_git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_EXTERNAL_DIFF",
        "GIT_PAGER",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_EXEC_PATH",
        "GIT_ASKPASS",
        "SSH_ASKPASS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_OPTIONAL_LOCKS", "0").env("GIT_PAGER", "cat");
    cmd.arg("-C").arg(dir);
    for setting in [
        "core.fsmonitor=false",
        "core.hooksPath=/dev/null",
        "core.pager=cat",
        "core.quotePath=false",
        "core.untrackedCache=false",
        "diff.external=",
        "diff.noprefix=false",
        "diff.mnemonicPrefix=false",
        "protocol.allow=never",
    ] {
        cmd.arg("-c").arg(setting);
    }
    // Nothing may prompt or wait for input in CI; a caller that feeds git (`cat-file --batch`)
    // sets its own stdin.
    cmd.stdin(std::process::Stdio::null());
    cmd
}

/// The path of a `+++ ` header: C-quoted (`"b/a\"b.sh"`) or plain with git's trailing tab
/// after a name that holds a space.
fn header_path(raw: &str) -> Option<String> {
    if raw == "/dev/null" {
        return None;
    }
    let name = match raw.strip_prefix('"') {
        Some(quoted) => unquote(quoted)?,
        None => raw.strip_suffix('\t').unwrap_or(raw).to_string(),
    };
    Some(name.strip_prefix("b/").unwrap_or(&name).to_string())
}

/// The inside of a C-quoted name (after its opening quote), decoded; octal escapes are bytes
/// of UTF-8.
fn unquote(s: &str) -> Option<String> {
    let mut bytes = Vec::new();
    let mut it = s.bytes().peekable();
    while let Some(b) = it.next() {
        match b {
            b'"' => return Some(String::from_utf8_lossy(&bytes).into_owned()),
            b'\\' => {
                let e = it.next()?;
                bytes.push(match e {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'v' => 0x0b,
                    b'0'..=b'7' => {
                        let mut v = u32::from(e - b'0');
                        for _ in 0..2 {
                            match it.peek() {
                                Some(d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    it.next();
                                }
                                _ => break,
                            }
                        }
                        u8::try_from(v).ok()?
                    }
                    other => other,
                });
            }
            other => bytes.push(other),
        }
    }
    None
}

/// The added side of every hunk in a `--unified=0` diff.
pub fn parse(diff: &str) -> Changes {
    let mut changes = Changes::default();
    let mut current: Option<String> = None;
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            current = header_path(path);
        } else if line.starts_with("@@ ") {
            let (Some(path), Some(range)) = (&current, hunk_new_range(line)) else {
                continue;
            };
            changes.files.entry(path.clone()).or_default().push(range);
        }
    }
    changes.files.retain(|_, v| !v.is_empty());
    changes
}

/// `@@ -a,b +c,d @@` -> `c..=c+d-1`; `None` for a pure deletion (`d` = 0).
fn hunk_new_range(line: &str) -> Option<RangeInclusive<usize>> {
    let plus = line.split_whitespace().find(|w| w.starts_with('+'))?;
    let mut parts = plus[1..].splitn(2, ',');
    let start: usize = parts.next()?.parse().ok()?;
    let count: usize = match parts.next() {
        Some(c) => c.parse().ok()?,
        None => 1,
    };
    (count > 0).then(|| start..=start + count - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue13_item2_odd_names_are_read_exactly() {
        let diff = "+++ b/deploy scripts/purge.sh\t\n@@ -0,0 +1 @@\n+x\n\
                    +++ \"b/tab\\there.sh\"\n@@ -0,0 +2 @@\n+x\n\
                    +++ \"b/q\\\"uote\\\\back.sh\"\n@@ -0,0 +3 @@\n+x\n\
                    +++ \"b/caf\\303\\251.sh\"\n@@ -0,0 +4 @@\n+x\n";
        let c = parse(diff);
        assert!(c.contains("deploy scripts/purge.sh", 1), "{c:?}");
        assert!(c.contains("tab\there.sh", 2), "{c:?}");
        assert!(c.contains("q\"uote\\back.sh", 3), "{c:?}");
        assert!(c.contains("café.sh", 4), "{c:?}");
    }

    #[test]
    fn keeps_added_ranges_only() {
        let diff = "\
diff --git a/deploy.sh b/deploy.sh
index 1..2 100644
--- a/deploy.sh
+++ b/deploy.sh
@@ -3,0 +4,2 @@ foo
+export CF_API_KEY=$CF_API_KEY
+curl
@@ -10 +11 @@
-old
+new
@@ -20,2 +21,0 @@
-gone
-gone
diff --git a/old.sh b/old.sh
deleted file mode 100644
--- a/old.sh
+++ /dev/null
@@ -1 +0,0 @@
-x
";
        let c = parse(diff);
        assert_eq!(c.files.len(), 1);
        assert_eq!(c.files["deploy.sh"], vec![4..=5, 11..=11]);
        assert!(c.contains("deploy.sh", 5));
        assert!(!c.contains("deploy.sh", 6));
        assert!(!c.contains("old.sh", 1));
    }
}
