//! Reading a repository's history with `git` itself, safely and as a stream.
//!
//! The repository is untrusted: its own `.git/config` could name an fsmonitor, hooks, an
//! external diff or a textconv filter, each of which git would run. Every call here goes
//! through [`command`], which switches those off, and uses only plumbing output (`--raw -z`,
//! `cat-file --batch`) whose format is exact: paths are NUL-terminated, never quoted.
//!
//! [`Changes`] parses `git log --raw -z` one record at a time from the pipe, so memory does not
//! grow with the history; [`Blobs`] reads blob contents through one `cat-file --batch` process,
//! keeping at most the cap of each blob in memory.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;

/// A `git` command in `repo` that runs nothing the repository configures.
pub(crate) fn command(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(repo);
    for setting in [
        "core.fsmonitor=false",
        "core.hooksPath=/dev/null",
        "core.pager=cat",
        "diff.external=",
        "core.quotePath=false",
        "protocol.allow=never",
    ] {
        c.arg("-c").arg(setting);
    }
    // The user's and system's config may still be read (safe.directory lives there), but
    // nothing may prompt, page or open an editor in CI.
    c.env("GIT_TERMINAL_PROMPT", "0").env("GIT_PAGER", "cat").env("GIT_OPTIONAL_LOCKS", "0").env_remove("GIT_DIR");
    c.stdin(Stdio::null());
    c
}

/// One commit of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commit {
    pub id: String,
    /// Author date, strict ISO 8601 (`%aI`).
    pub date: String,
}

/// One file a commit added or modified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub commit: Arc<Commit>,
    pub path: String,
    /// The blob before the commit; `None` when the commit added the file.
    pub old: Option<String>,
    pub new: String,
}

/// The record separator `--format` puts before each commit.
const COMMIT_MARK: u8 = 0x01;

/// Streams the changes of `git log --raw -z` (added and modified regular files only: deleted
/// files add nothing, submodules and symlinks hold no text of the repository).
pub(crate) struct Changes<R: BufRead> {
    input: R,
    /// Commits read so far, with or without changes.
    pub commits: usize,
    commit: Option<Arc<Commit>>,
    token: Vec<u8>,
}

impl<R: BufRead> Changes<R> {
    pub(crate) fn new(input: R) -> Self {
        Changes { input, commits: 0, commit: None, token: Vec::new() }
    }

    /// The next NUL-terminated token, without the newline git puts between records.
    fn next_token(&mut self) -> std::io::Result<Option<String>> {
        self.token.clear();
        if self.input.read_until(0, &mut self.token)? == 0 {
            return Ok(None);
        }
        if self.token.last() == Some(&0) {
            self.token.pop();
        }
        let start = self.token.iter().take_while(|b| **b == b'\n').count();
        Ok(Some(String::from_utf8_lossy(&self.token[start..]).into_owned()))
    }
}

impl<R: BufRead> Iterator for Changes<R> {
    type Item = std::io::Result<Change>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let token = match self.next_token() {
                Ok(Some(t)) => t,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            if token.as_bytes().first() == Some(&COMMIT_MARK) {
                let mut parts = token[1..].splitn(2, ' ');
                let id = parts.next().unwrap_or_default().to_string();
                let date = parts.next().unwrap_or_default().trim().to_string();
                self.commit = Some(Arc::new(Commit { id, date }));
                self.commits += 1;
                continue;
            }
            let Some(raw) = token.strip_prefix(':') else { continue };
            // `:old_mode new_mode old_blob new_blob status`, then the path as its own token.
            let path = match self.next_token() {
                Ok(Some(p)) => p,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            let fields: Vec<&str> = raw.split(' ').collect();
            let [_, new_mode, old, new, status] = fields[..] else { continue };
            let Some(commit) = self.commit.clone() else { continue };
            // Regular files only (100644, 100755); `A`dded or `M`odified (`T`ype changes too).
            if !new_mode.starts_with("100") || !matches!(status.as_bytes().first(), Some(b'A' | b'M' | b'T')) {
                continue;
            }
            let old = (!old.bytes().all(|b| b == b'0')).then(|| old.to_string());
            return Some(Ok(Change { commit, path, old, new: new.to_string() }));
        }
    }
}

/// A blob's content as far as the cap allows.
pub(crate) struct Blob {
    pub bytes: Vec<u8>,
    /// The blob's full size, larger than `bytes.len()` when capped.
    pub size: u64,
}

/// Blob contents through one long-lived `git cat-file --batch`.
pub(crate) struct Blobs {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    max: u64,
}

impl Blobs {
    pub(crate) fn open(repo: &Path, max: u64) -> std::io::Result<Blobs> {
        let mut child =
            command(repo).args(["cat-file", "--batch"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let stdin = BufWriter::new(child.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?);
        let stdout =
            BufReader::with_capacity(1 << 16, child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?);
        Ok(Blobs { child, stdin, stdout, max })
    }

    /// The blob `id`, or `None` when git does not have it (a shallow or partial clone).
    pub(crate) fn read(&mut self, id: &str) -> std::io::Result<Option<Blob>> {
        writeln!(self.stdin, "{id}")?;
        self.stdin.flush()?;
        let mut header = String::new();
        self.stdout.read_line(&mut header)?;
        // `<id> blob <size>` or `<id> missing`.
        let mut parts = header.split_whitespace();
        let (_, kind, size) = (parts.next(), parts.next(), parts.next());
        let Some(size) = size.and_then(|s| s.parse::<u64>().ok()) else {
            return if kind == Some("missing") {
                Ok(None)
            } else {
                Err(std::io::Error::other("unexpected cat-file output"))
            };
        };
        let keep = size.min(self.max);
        let mut bytes = Vec::with_capacity(keep as usize);
        (&mut self.stdout).take(keep).read_to_end(&mut bytes)?;
        // The rest of a capped blob is read and dropped, never held; then the newline.
        std::io::copy(&mut (&mut self.stdout).take(size - keep + 1), &mut std::io::sink())?;
        Ok(Some(Blob { bytes, size }))
    }
}

impl Drop for Blobs {
    fn drop(&mut self) {
        let _ = self.stdin.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_raw_records_with_odd_names() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let text = format!(
            "\x01{a} 2026-01-02T03:04:05+00:00\0\n:100644 100644 {a} {b} M\0deploy scripts/pu\"rge.sh\0\
             :000000 100644 {z} {b} A\0new\tfile\0:100644 000000 {a} {z} D\0gone\0\
             :160000 160000 {a} {b} M\0submodule\0\x01{b} 2026-01-01T00:00:00+00:00\0\n:000000 120000 {z} {a} A\0link\0"
        );
        let changes: Vec<Change> = Changes::new(text.as_bytes()).map(Result::unwrap).collect();
        let paths: Vec<(&str, Option<&str>)> = changes.iter().map(|c| (c.path.as_str(), c.old.as_deref())).collect();
        assert_eq!(paths, [("deploy scripts/pu\"rge.sh", Some(a.as_str())), ("new\tfile", None)]);
        assert_eq!(changes[0].commit.date, "2026-01-02T03:04:05+00:00");
        assert_eq!(changes[0].new, b);
    }
}
