//! `scan --history`: Global keys that were committed, including those deleted since.
//!
//! A key that was ever committed stays readable for as long as the history exists, and a
//! Global API Key can only be rolled in the dashboard. This walks `git log --raw` (all refs, or
//! a range), scans each added or modified file's new blob with the same detector as `scan`,
//! and reports the findings that the commit *introduced*: those its new blob has and its old
//! blob had not (compared by fingerprint, so a line that merely moved is not new). Each
//! finding carries the commit, its author date and whether the same use is still at `HEAD`.
//!
//! Memory: the log is parsed as a stream and blobs are read one at a time per worker, capped
//! like files; what is kept is one small cache entry per (path, blob) pair scanned, so that a
//! blob seen again (the old side of the next change, the same change on another branch) is
//! never scanned twice. Time: linear in the size of the changed blobs.

pub(crate) mod git;

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

use crate::finding::{Finding, Introduced, Warning, WarningReason};
use crate::rules::DetectRule;
use crate::scan::detect::Detector;
use crate::scan::ScanResult;
use git::{Blobs, Change, Changes, Commit};

/// What `scan --history` was asked for.
#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    /// A revision range (`main..feature`, `v1.0..`); empty: every ref (`--all`).
    pub range: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub threads: usize,
    pub max_file_size: u64,
    /// `--exclude` globs and the config's, as `scan` applies them.
    pub excludes: Vec<String>,
    /// Do not skip dependency folders (`--no-ignore`).
    pub no_ignore: bool,
}

/// Numbers for the summary line.
#[derive(Debug, Clone, Default)]
pub struct HistoryStats {
    pub commits: usize,
    pub changes: usize,
    pub blobs_scanned: usize,
    pub blobs_reused: usize,
}

/// One unit of work for a blob reader.
enum Job {
    /// A file a commit added or modified.
    Change(Change),
    /// A file of `HEAD`, to tell which uses are still there.
    Head { path: String, blob: String },
}

/// What a worker found; merged on the calling thread.
enum Found {
    Introduced(Arc<Commit>, Vec<Finding>),
    Head(Vec<u64>),
}

/// Scans the history of the repository at (or above) `dir`. Paths in findings are relative
/// to `dir`, as `scan dir` reports them.
pub fn scan(
    dir: &Path,
    rules: &[DetectRule],
    opts: &HistoryOptions,
) -> Result<(ScanResult, HistoryStats), crate::Error> {
    // A bare clone (a CI mirror) has a history but no work tree: both are fine.
    let inside = git::command(dir).args(["rev-parse", "--is-bare-repository"]).output();
    let bare = match &inside {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim() == "true",
        _ => false,
    };
    if !inside.as_ref().is_ok_and(|o| o.status.success()) {
        return Err(crate::Error::Usage {
            message: format!("{}: not inside a git repository, so there is no history to scan", dir.display()),
            help: "run `scan --history` in a clone (a shallow clone only has its recent commits)".into(),
        });
    }
    let excluded = exclusions(dir, &opts.excludes);
    let detector = Detector::new(rules);
    let cache: Mutex<HashMap<(u64, u128), Option<Arc<Vec<Finding>>>>> = Mutex::new(HashMap::new());
    let found: Mutex<Vec<Found>> = Mutex::new(Vec::new());
    let warnings: Mutex<Vec<Warning>> = Mutex::new(Vec::new());
    let stats = Mutex::new(HistoryStats::default());
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };

    let mut log = git::command(dir);
    log.args(["log", "--raw", "-z", "--no-abbrev", "--no-renames", "--no-ext-diff", "--no-textconv"]);
    if !bare {
        // Paths relative to `dir`, and only the commits that touch it.
        log.arg("--relative");
    }
    log.arg("--format=%x01%H %aI");
    if let Some(s) = &opts.since {
        log.arg(format!("--since={s}"));
    }
    if let Some(u) = &opts.until {
        log.arg(format!("--until={u}"));
    }
    match &opts.range {
        Some(r) if !r.is_empty() => {
            if r.starts_with('-') {
                return Err(crate::Error::Usage {
                    message: format!("`--history={r}` is not a revision range"),
                    help: "give a range such as `main..HEAD` or `v1.2..`, or `--history` alone for every ref".into(),
                });
            }
            log.arg(r);
        }
        _ => {
            log.arg("--all");
        }
    }
    if !bare {
        log.arg("--").arg(".");
    }
    let mut child =
        log.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().map_err(|e| {
            crate::Error::Usage {
                message: format!("could not run git: {e}"),
                help: "install git to scan history".into(),
            }
        })?;
    let stdout = child.stdout.take().ok_or_else(|| crate::Error::Usage {
        message: "git log gave no output stream".into(),
        help: "try again".into(),
    })?;

    let (send, recv) = sync_channel::<Job>(256);
    let recv = Mutex::new(recv);
    let read_error: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let work = Worker { dir, detector: &detector, cache: &cache, max: opts.max_file_size };
                if let Err(e) = work.run(&recv, &found, &warnings, &stats) {
                    read_error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e.to_string());
                }
            });
        }
        let mut changes = Changes::new(BufReader::with_capacity(1 << 16, stdout));
        for change in changes.by_ref() {
            let Ok(change) = change else { break };
            if excluded.as_ref().is_some_and(|x| x.skips(&change.path, opts.no_ignore)) {
                continue;
            }
            if send.send(Job::Change(change)).is_err() {
                break;
            }
        }
        stats.lock().unwrap_or_else(|p| p.into_inner()).commits = changes.commits;
        for (path, blob) in head_files(dir) {
            if excluded.as_ref().is_some_and(|x| x.skips(&path, opts.no_ignore)) {
                continue;
            }
            if send.send(Job::Head { path, blob }).is_err() {
                break;
            }
        }
        drop(send);
    });
    let status = child.wait_with_output().map_err(|e| crate::Error::Usage {
        message: format!("git log failed: {e}"),
        help: "check that the repository is readable".into(),
    })?;
    if !status.status.success() {
        return Err(crate::Error::Usage {
            message: format!(
                "git log failed: {}",
                crate::report::redact::scrub(String::from_utf8_lossy(&status.stderr).trim())
            ),
            help: "check the revision range (`--history=main..HEAD`) and that the clone is complete".into(),
        });
    }
    if let Some(e) = read_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(crate::Error::Usage {
            message: format!("reading blobs with git cat-file failed: {e}"),
            help: "check that the repository is complete and readable".into(),
        });
    }
    let mut result = merge(found.into_inner().unwrap_or_else(|p| p.into_inner()));
    result.warnings = warnings.into_inner().unwrap_or_else(|p| p.into_inner());
    result.warnings.sort_by(|a, b| (&a.path, a.reason).cmp(&(&b.path, b.reason)));
    result.warnings.dedup_by(|later, first| later.path == first.path);
    let stats = stats.into_inner().unwrap_or_else(|p| p.into_inner());
    result.stats.files_scanned = stats.blobs_scanned;
    Ok((result, stats))
}

/// The earliest introduction of each use, with whether `HEAD` still has it.
fn merge(found: Vec<Found>) -> ScanResult {
    let mut head = std::collections::HashSet::new();
    let mut first: BTreeMap<(String, String), (Arc<Commit>, Finding)> = BTreeMap::new();
    for f in found {
        match f {
            Found::Head(keys) => head.extend(keys),
            Found::Introduced(commit, findings) => {
                for finding in findings {
                    let key = (finding.path.clone(), finding.fingerprint.clone());
                    match first.get(&key) {
                        Some((c, _)) if (&c.date, &c.id) <= (&commit.date, &commit.id) => {}
                        _ => {
                            first.insert(key, (commit.clone(), finding));
                        }
                    }
                }
            }
        }
    }
    let mut result = ScanResult::default();
    for (_, (commit, mut finding)) in first {
        let at_head = head.contains(&use_key(&finding));
        // Twelve hex digits, as `git log --abbrev=12` shows: a full 40-digit id is the shape
        // of a secret to the output scrub, and would be masked.
        let id = commit.id.get(..12).unwrap_or(&commit.id).to_string();
        finding.history = Some(Introduced { commit: id, date: commit.date.clone(), at_head });
        result.findings.push(finding);
    }
    result.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    result
}

/// What makes a use "the same" at `HEAD`: the rule and the line's text (and the secret),
/// wherever the file lives now, so a key in a renamed file still counts as present.
fn use_key(f: &Finding) -> u64 {
    let mut h = DefaultHasher::new();
    f.rule.hash(&mut h);
    f.snippet.split_whitespace().for_each(|w| w.hash(&mut h));
    f.secret.as_ref().map(|s| s.expose()).hash(&mut h);
    h.finish()
}

/// A blob reader thread's state.
struct Worker<'a, 'r> {
    dir: &'a Path,
    detector: &'a Detector<'r>,
    cache: &'a Mutex<HashMap<(u64, u128), Option<Arc<Vec<Finding>>>>>,
    max: u64,
}

impl Worker<'_, '_> {
    fn run(
        &self,
        jobs: &Mutex<Receiver<Job>>,
        found: &Mutex<Vec<Found>>,
        warnings: &Mutex<Vec<Warning>>,
        stats: &Mutex<HistoryStats>,
    ) -> std::io::Result<()> {
        let mut blobs = Blobs::open(self.dir, self.max)?;
        loop {
            let job = match jobs.lock().unwrap_or_else(|p| p.into_inner()).recv() {
                Ok(job) => job,
                Err(_) => return Ok(()),
            };
            match job {
                Job::Change(change) => {
                    let new = self.findings(&mut blobs, &change.path, &change.new, &change.commit, warnings, stats)?;
                    stats.lock().unwrap_or_else(|p| p.into_inner()).changes += 1;
                    if new.is_empty() {
                        continue;
                    }
                    let old = match &change.old {
                        Some(id) => self.findings(&mut blobs, &change.path, id, &change.commit, warnings, stats)?,
                        None => Arc::new(Vec::new()),
                    };
                    let mut before: HashMap<&str, usize> = HashMap::new();
                    for f in old.iter() {
                        *before.entry(base_fingerprint(&f.fingerprint)).or_default() += 1;
                    }
                    let mut introduced = Vec::new();
                    for f in new.iter() {
                        match before.get_mut(base_fingerprint(&f.fingerprint)) {
                            Some(n) if *n > 0 => *n -= 1,
                            _ => introduced.push(f.clone()),
                        }
                    }
                    if !introduced.is_empty() {
                        found
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Found::Introduced(change.commit, introduced));
                    }
                }
                Job::Head { path, blob } => {
                    let head = Arc::new(Commit { id: "HEAD".into(), date: String::new() });
                    let findings = self.findings(&mut blobs, &path, &blob, &head, warnings, stats)?;
                    if !findings.is_empty() {
                        found
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Found::Head(findings.iter().map(use_key).collect()));
                    }
                }
            }
        }
    }

    /// The findings of blob `id` at `path`, scanned once per (path, blob).
    fn findings(
        &self,
        blobs: &mut Blobs,
        path: &str,
        id: &str,
        commit: &Commit,
        warnings: &Mutex<Vec<Warning>>,
        stats: &Mutex<HistoryStats>,
    ) -> std::io::Result<Arc<Vec<Finding>>> {
        let key = (hash_of(path), blob_key(id));
        if let Some(hit) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            stats.lock().unwrap_or_else(|p| p.into_inner()).blobs_reused += 1;
            return Ok(hit.clone().unwrap_or_default());
        }
        let findings = match blobs.read(id)? {
            None => Vec::new(),
            Some(blob) => {
                stats.lock().unwrap_or_else(|p| p.into_inner()).blobs_scanned += 1;
                if blob.size > self.max {
                    let short: String = commit.id.chars().take(12).collect();
                    warnings.lock().unwrap_or_else(|p| p.into_inner()).push(Warning {
                        path: format!("{path}@{short}"),
                        reason: WarningReason::TooLarge,
                        message: format!(
                            "{} in this commit; only the first {} were scanned",
                            crate::scan::source::human_size(blob.size),
                            crate::scan::source::human_size(self.max)
                        ),
                    });
                }
                scan_blob(self.detector, path, blob.bytes)
            }
        };
        let value = (!findings.is_empty()).then(|| Arc::new(findings));
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, value.clone());
        Ok(value.unwrap_or_default())
    }
}

/// The same detection as a file of the working tree gets, minus what inline suppressions in
/// the blob itself accept.
fn scan_blob(detector: &Detector, path: &str, bytes: Vec<u8>) -> Vec<Finding> {
    // Binary blobs are skipped, as `scan` skips binary files: a NUL in the first block.
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        return Vec::new();
    }
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let Some(candidates) = detector.candidates(&bytes, file_name) else { return Vec::new() };
    let (text, candidates) = match String::from_utf8(bytes) {
        Ok(t) => (t, candidates),
        Err(e) => {
            let t = String::from_utf8_lossy(e.as_bytes()).into_owned();
            match detector.candidates(t.as_bytes(), file_name) {
                Some(c) => (t, c),
                None => return Vec::new(),
            }
        }
    };
    let mut findings = detector.detect(path, &text, candidates);
    if text.contains("scopesmith:ignore[") {
        let lines: Vec<&str> = text.lines().collect();
        findings.retain(|f| {
            ![f.line, f.line.saturating_sub(1)].into_iter().any(|n| {
                n.checked_sub(1)
                    .and_then(|i| lines.get(i))
                    .and_then(|l| crate::ci::suppress::parse(l))
                    .is_some_and(|s| s.covers(&f.rule))
            })
        });
    }
    findings
}

/// A fingerprint without the `:n` that tells identical lines of one file apart.
fn base_fingerprint(f: &str) -> &str {
    f.split(':').next().unwrap_or(f)
}

fn hash_of(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The first 128 bits of an object id (SHA-1 or SHA-256): unique enough for a cache key.
fn blob_key(id: &str) -> u128 {
    u128::from_str_radix(&id[..id.len().min(32)], 16).unwrap_or_else(|_| u128::from(hash_of(id)))
}

/// The files of `HEAD` (none in a repository without commits).
fn head_files(dir: &Path) -> Vec<(String, String)> {
    let Ok(out) = git::command(dir).args(["ls-tree", "-r", "-z", "--full-tree", "HEAD"]).output() else {
        return Vec::new();
    };
    if !out.status.success() {
        return Vec::new();
    }
    // `ls-tree` paths are from the top; `scan` paths are relative to `dir`.
    let prefix = git::command(dir)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    out.stdout
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (meta, path) = entry.split_once('\t')?;
            let mut parts = meta.split(' ');
            let (mode, kind, id) = (parts.next()?, parts.next()?, parts.next()?);
            let path = path.strip_prefix(prefix.as_str())?;
            (kind == "blob" && mode.starts_with("100")).then(|| (path.to_string(), id.to_string()))
        })
        .collect()
}

/// `--exclude` globs and the dependency folders `scan` skips, applied to history paths.
struct Exclusions {
    globs: ignore::overrides::Override,
}

impl Exclusions {
    fn skips(&self, path: &str, no_ignore: bool) -> bool {
        if !no_ignore && path.split('/').any(|part| crate::scan::walk::SKIPPED_DIRS.contains(&part)) {
            return true;
        }
        self.globs.matched(Path::new(path), false).is_ignore()
    }
}

fn exclusions(dir: &Path, excludes: &[String]) -> Option<Exclusions> {
    let mut ov = ignore::overrides::OverrideBuilder::new(dir);
    for ex in excludes {
        let _ = ov.add(&format!("!{ex}"));
    }
    ov.build().ok().map(|globs| Exclusions { globs })
}

/// Where `scan --history` looks: the first path, which must be a directory.
pub fn repository_dir(paths: &[PathBuf]) -> Result<&Path, crate::Error> {
    match paths {
        [dir] if dir.is_dir() => Ok(dir),
        _ => Err(crate::Error::Usage {
            message: "`scan --history` takes one directory, the repository (or a folder of it)".into(),
            help: "run `scopesmith scan --history .` from the repository".into(),
        }),
    }
}
