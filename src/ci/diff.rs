//! `--diff-base REV`: which lines changed since a git revision, so that a pull request is
//! judged only on what it adds.
//!
//! Runs `git -C ROOT diff --unified=0 --relative REV` (the work tree against REV, so
//! uncommitted edits count too) and keeps the added side of each hunk. Paths come out relative
//! to the root, like finding paths. Files git does not track are not in the diff.

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
    let verify = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map_err(|e| git_err(e.to_string()))?;
    if !verify.status.success() {
        let inside = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "--is-inside-work-tree"])
            .output()
            .map_err(|e| git_err(e.to_string()))?;
        if !inside.status.success() {
            return Err(git_err(String::from_utf8_lossy(&inside.stderr).trim().to_string()));
        }
        return Err(DiffError::MissingRev { rev: rev.into() });
    }
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(["-c", "core.quotePath=false", "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-renames"])
        .args(["--relative", "--end-of-options", rev, "--"]);
    if let Some(f) = only {
        cmd.arg(f);
    }
    let out = cmd.output().map_err(|e| git_err(e.to_string()))?;
    if !out.status.success() {
        return Err(git_err(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// The added side of every hunk in a `--unified=0` diff.
pub fn parse(diff: &str) -> Changes {
    let mut changes = Changes::default();
    let mut current: Option<String> = None;
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            current = if path == "/dev/null" {
                None
            } else {
                Some(path.strip_prefix("b/").unwrap_or(path).trim_matches('"').to_string())
            };
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
