//! `scan`: paths in, sorted findings and warnings out.
//!
//! The parallel walk (`walk.rs`) hands each file, on the thread that found it, to the reader
//! (`source.rs`) and the detector (`detect/`); the results are sorted so that the output does
//! not depend on the thread count. (A walk-then-rayon design held the whole file list and, on a
//! million files, needed 300 MB and twice the time; see bench/RESULTS.md.)

pub mod credential;
pub mod detect;
pub mod email;
pub mod gate;
mod ignores;
pub mod lines;
pub mod own_output;
pub mod root_path;
pub mod sdk_source;
pub mod seen;
pub mod source;
pub mod template;
pub mod texts;
pub mod walk;
pub mod wrapper;

use std::path::PathBuf;

use serde::Serialize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::finding::{Finding, Warning, WarningReason};
use crate::rules::DetectRule;
use detect::Detector;
use sdk_source::SdkTrees;
use source::Content;
pub use walk::WalkOptions;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub walk: WalkOptions,
    pub max_file_size: u64,
    /// A progress bar on stderr for large trees (the CLI asks for it on a terminal, not in CI).
    pub progress: bool,
    /// Remember every project file walked (for the project graph of `plan`, `fix`, `report`).
    /// `scan` itself needs only the files with findings, and on a large tree the list is
    /// most of its memory.
    pub project_index: bool,
}

impl Default for ScanOptions {
    /// What `scopesmith scan` does without flags (minus the progress bar).
    fn default() -> Self {
        ScanOptions {
            walk: WalkOptions { no_ignore: false, follow_links: false, threads: 0, excludes: Vec::new() },
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            progress: false,
            project_index: true,
        }
    }
}

/// `--max-file-size` when not given: 16 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Below this many files a scan is over before a bar would be read.
const PROGRESS_MIN_FILES: usize = 2000;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    pub files_skipped: usize,
}

#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    pub findings: Vec<Finding>,
    /// Display path -> real path of every file with a finding (for `plan` to read again).
    pub sources: std::collections::BTreeMap<String, PathBuf>,
    /// Decoded text of the files with findings, and the project files the walk saw.
    pub texts: texts::Texts,
    pub warnings: Vec<Warning>,
    pub stats: Stats,
    /// The per-file cap the scan read with: later stages that read a file again keep to it.
    pub max_file_size: u64,
    /// The code files the walk admitted (the wrapper pass looks for callers among them).
    pub seen: std::sync::Arc<seen::Seen>,
}

/// What one file gave.
#[derive(Default)]
struct FileResult {
    findings: Vec<Finding>,
    warnings: Vec<Warning>,
    bytes: u64,
    skipped: bool,
    /// The decoded text, kept when there are findings.
    text: Option<String>,
    /// The display path, when the file had something to say (built only then).
    display: Option<String>,
}

pub fn scan(roots: &[PathBuf], rules: &[DetectRule], opts: &ScanOptions) -> Result<ScanResult, crate::Error> {
    let detector = Detector::new(rules);
    let sdks = sdk_source::SdkTrees::new();
    let mut result = ScanResult {
        texts: texts::Texts::new(opts.max_file_size),
        max_file_size: opts.max_file_size,
        ..Default::default()
    };
    let seen = result.seen.clone();
    for root in roots {
        if !root.exists() {
            return Err(crate::Error::Usage {
                message: format!("{}: no such file or directory", root.display()),
                help: "pass a directory or file to scan".into(),
            });
        }
        let prefix = if root.is_file() {
            // A file named on the command line: its path from the repository root.
            let display = root_path::display_for_file(root);
            if root_path::Excludes::new(&opts.walk.excludes).excludes(&display) {
                continue;
            }
            display
        } else if roots.len() > 1 {
            root.to_string_lossy().trim_end_matches('/').to_string()
        } else {
            String::new()
        };
        // Each file is scanned on the walker thread that found it, as ripgrep does: memory
        // holds the files being read, not a list of the tree, and only files with something
        // to report are kept.
        let bar = opts.progress.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} scanned {pos} files ({rate} files/s)")
                    .map(|s| s.with_key("rate", crate::report::progress::rate))
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        let kept: Mutex<Vec<(FileResult, walk::FileEntry)>> = Mutex::new(Vec::new());
        // Project files are remembered by path only (the graph may read them later).
        let project: Mutex<Vec<walk::FileEntry>> = Mutex::new(Vec::new());
        // And, for the project model, the other files by path (see `Texts::other`).
        let others: Mutex<Vec<walk::FileEntry>> = Mutex::new(Vec::new());
        let (scanned, skipped, bytes) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicU64::new(0));
        let visit = |walked: walk::Walked| {
            let mut r = scan_file(&detector, &sdks, &walked, opts.max_file_size);
            let name = walked.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            if wrapper::in_family(&name) {
                seen.insert(&walked.path);
            }
            if r.skipped { &skipped } else { &scanned }.fetch_add(1, Ordering::Relaxed);
            bytes.fetch_add(r.bytes, Ordering::Relaxed);
            if let Some(bar) = &bar {
                // Drawn only past a threshold, so small scans never flash a bar.
                if bar.position() + 1 == PROGRESS_MIN_FILES as u64 {
                    bar.enable_steady_tick(std::time::Duration::from_millis(200));
                }
                bar.inc(1);
            }
            let kept_file = !r.findings.is_empty() || !r.warnings.is_empty();
            if kept_file || opts.project_index {
                let project_file = texts::is_project_file(&name);
                let display = r.display.take().unwrap_or_else(|| walked.display());
                let f = walk::FileEntry { display, path: walked.path };
                if kept_file {
                    kept.lock().unwrap_or_else(|e| e.into_inner()).push((r, f));
                } else if project_file {
                    project.lock().unwrap_or_else(|e| e.into_inner()).push(f);
                } else if !r.skipped {
                    others.lock().unwrap_or_else(|e| e.into_inner()).push(f);
                }
            }
        };
        let mut warnings = walk::walk(root, &prefix, &opts.walk, &visit);
        let per_file = kept.into_inner().unwrap_or_else(|e| e.into_inner());
        result.stats.files_scanned += scanned.into_inner();
        result.stats.files_skipped += skipped.into_inner();
        result.stats.bytes_scanned += bytes.into_inner();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        for f in project.into_inner().unwrap_or_else(|e| e.into_inner()) {
            result.texts.walked(f.display, f.path);
        }
        for f in others.into_inner().unwrap_or_else(|e| e.into_inner()) {
            result.texts.other(f.display, f.path);
        }
        for (mut r, f) in per_file {
            if !r.findings.is_empty() {
                result.sources.insert(f.display.clone(), f.path.clone());
            }
            match r.text.take() {
                // A kept file is a walked file too: the graph lists units and importers by path.
                Some(text) if !r.findings.is_empty() => {
                    result.texts.walked(f.display.clone(), f.path.clone());
                    result.texts.keep(f.display.clone(), text)
                }
                _ => result.texts.walked(f.display.clone(), f.path.clone()),
            }
            result.findings.extend(r.findings);
            warnings.extend(r.warnings);
        }
        result.warnings.extend(warnings);
    }
    // Post-passes over the whole scan (an SDK's own definitions went out file by file): callers
    // of key wrappers in, then e-mails that no key goes with out.
    wrapper::add_callers(
        &mut result.findings,
        &mut result.sources,
        &mut result.texts,
        &result.seen,
        opts.max_file_size,
    );
    email::keep_paired(&mut result.findings);
    result.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    result.warnings.sort_by(|a, b| (&a.path, a.reason).cmp(&(&b.path, b.reason)));
    // Each file once, whichever stages (walk, read, decode) had something to say about it.
    result.warnings.dedup_by(|later, first| later.path == first.path);
    Ok(result)
}

/// A walker thread's read buffer keeps its capacity between files, up to this much (glibc's
/// default mmap threshold: a larger buffer would have been returned to the system on free):
/// a rare large file does not pin its size in memory for the rest of the scan.
const KEEP_BUFFER: usize = 128 * 1024;

thread_local! {
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn scan_file(detector: &Detector, sdks: &SdkTrees, file: &walk::Walked, max: u64) -> FileResult {
    READ_BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        let shown = std::cell::OnceCell::new();
        let display = || shown.get_or_init(|| file.display()).clone();
        let mut out = scan_read(detector, sdks, &file.path, &display, max, &mut buffer);
        out.display = shown.into_inner();
        if buffer.capacity() > KEEP_BUFFER {
            *buffer = Vec::new();
        }
        out
    })
}

fn scan_read(
    detector: &Detector,
    sdks: &SdkTrees,
    path: &std::path::Path,
    display: &dyn Fn() -> String,
    max: u64,
    buffer: &mut Vec<u8>,
) -> FileResult {
    let loaded = source::read(path, display, max, buffer);
    let mut out = FileResult { warnings: loaded.warning.into_iter().collect(), ..Default::default() };
    let Some(content) = loaded.content else {
        out.skipped = true;
        return out;
    };
    let real_name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    // `a.yaml.tpl` is matched by the rules for `a.yaml`.
    let file_name = template::underlying_name(&real_name);
    let bytes: &[u8] = match &content {
        Content::Text(t) => t.as_bytes(),
        Content::Bytes => buffer,
    };
    out.bytes = bytes.len() as u64;
    if own_output::is_own_output(&real_name, bytes) {
        return out;
    }
    // The prefilter runs on raw bytes: most files end here, never decoded.
    let Some(mut candidates) = detector.candidates(bytes, file_name) else { return out };
    let text: std::borrow::Cow<str> = match &content {
        Content::Text(t) => t.as_str().into(),
        Content::Bytes => match std::str::from_utf8(buffer) {
            Ok(t) => t.into(),
            Err(_) => {
                let message = "not valid UTF-8: invalid bytes were replaced and the rest scanned";
                match out.warnings.first_mut() {
                    // One warning per file: a capped file says both in one.
                    Some(w) => w.message.push_str(&format!("; {message}")),
                    None => out.warnings.push(Warning {
                        path: display(),
                        reason: WarningReason::InvalidUtf8,
                        message: message.into(),
                    }),
                }
                let text = String::from_utf8_lossy(buffer).into_owned();
                // Replacement characters moved the offsets: find the keywords again.
                match detector.candidates(text.as_bytes(), file_name) {
                    Some(c) => candidates = c,
                    None => return out,
                }
                text.into()
            }
        },
    };
    out.findings = detector.detect(&display(), &text, candidates);
    sdks.drop_definitions(&mut out.findings, path, &text);
    if !out.findings.is_empty() {
        out.text = Some(text.into_owned());
    }
    out
}
