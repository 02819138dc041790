//! The CI gate: what happens between the scan and the report when scopesmith guards a pull
//! request.
//!
//! Takes a scan result and narrows it, in this order: lines outside `--diff-base` (`diff.rs`),
//! inline `scopesmith:ignore` suppressions (`suppress.rs`), then findings already in the
//! baseline (`baseline.rs`). What is left is reported and judged by `gate.rs`. The project's
//! `.scopesmith.yaml` (`config.rs`) supplies defaults for all of this.

pub mod baseline;
pub mod config;
pub mod diff;
pub mod gate;
pub mod suppress;

use std::path::{Path, PathBuf};

use crate::finding::Severity;
use crate::report::Tally;
use crate::scan::ScanResult;

/// The gate settings after merging `.scopesmith.yaml` under the flags.
#[derive(Debug, Clone)]
pub struct GateSettings {
    pub fail_on: Severity,
    pub baseline: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    pub diff_base: Option<String>,
    pub suppress: bool,
    /// The scan's per-file cap, which re-reading a file for its suppressions keeps to.
    pub max_file_size: u64,
}

/// Narrows `result.findings` in place and says how many each step hid.
pub fn narrow(
    result: &mut ScanResult,
    roots: &[PathBuf],
    known_rules: &[&str],
    settings: &GateSettings,
) -> Result<Tally, crate::Error> {
    let mut tally = Tally::default();
    // The baseline file names rule ids (`x-auth-key-header`) that rules would match.
    drop_own_files(result, roots, [&settings.baseline, &settings.write_baseline].into_iter().flatten());
    if let Some(rev) = &settings.diff_base {
        let mut changed = diff::Changes::default();
        for root in roots {
            let prefix = display_prefix(roots, root);
            for (path, ranges) in diff::changes(root, rev)?.files {
                let display = if root.is_file() {
                    if prefix.is_empty() {
                        path
                    } else {
                        prefix.clone()
                    }
                } else if prefix.is_empty() {
                    path
                } else {
                    format!("{prefix}/{path}")
                };
                changed.files.entry(display).or_default().extend(ranges);
            }
        }
        let before = result.findings.len();
        result.findings.retain(|f| changed.contains(&f.path, f.line));
        tally.unchanged = before - result.findings.len();
    }
    if settings.suppress {
        let findings = std::mem::take(&mut result.findings);
        let (kept, suppressed, warnings) =
            suppress::apply(findings, known_rules, |p| locate(roots, p), settings.max_file_size);
        result.findings = kept;
        tally.suppressed = suppressed;
        result.warnings.extend(warnings);
        result.warnings.sort_by(|a, b| (&a.path, a.reason).cmp(&(&b.path, b.reason)));
    }
    let known = if let Some(path) = &settings.write_baseline {
        let n = baseline::write(path, &result.findings)?;
        tally.baseline_written = Some(n);
        Some(baseline::Baseline::from_findings(&result.findings))
    } else if let Some(path) = &settings.baseline {
        Some(baseline::read(path)?)
    } else {
        None
    };
    if let Some(known) = known {
        let (new, n) = known.split(std::mem::take(&mut result.findings));
        result.findings = new;
        tally.baselined = n;
    }
    Ok(tally)
}

/// Removes findings in files scopesmith itself reads or writes (the baseline, an earlier
/// `scan -o` output).
pub fn drop_own_files<'a>(result: &mut ScanResult, roots: &[PathBuf], own: impl Iterator<Item = &'a PathBuf>) {
    let own: Vec<PathBuf> = own.filter_map(|p| p.canonicalize().ok()).collect();
    if own.is_empty() {
        return;
    }
    result.findings.retain(|f| locate(roots, &f.path).canonicalize().map_or(true, |p| !own.contains(&p)));
}

/// The prefix `scan` puts before paths under `root` (only when several roots are scanned).
fn display_prefix(roots: &[PathBuf], root: &Path) -> String {
    if roots.len() > 1 {
        root.to_string_lossy().trim_end_matches('/').to_string()
    } else {
        String::new()
    }
}

/// The file behind a finding's display path.
fn locate(roots: &[PathBuf], display: &str) -> PathBuf {
    match roots {
        [root] if root.is_file() => root.clone(),
        [root] => root.join(display),
        _ => PathBuf::from(display),
    }
}
