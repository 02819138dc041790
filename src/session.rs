//! One session for every command: `.scopesmith.yaml`, rules (with the `catalog sync` ids),
//! walk, scan and the gate (excludes, suppressions, baseline) run once, here, so `scan`,
//! `plan`, `fix`, `report` and `verify` cannot disagree about what is excluded, suppressed or
//! baselined, nor the commands after `scan` about a permission group's id.
//!
//! Takes the walk flags and, for `scan`, the gate flags; returns the narrowed [`ScanResult`]
//! (with the decoded text of the files later stages need), the rules and the tally of what
//! the gate hid. Nothing here prints.

use crate::ci::{self, config::Config, GateSettings};
use crate::cli::{GateArgs, HistoryArgs, WalkArgs};
use crate::finding::Severity;
use crate::report::Tally;
use crate::rules::RuleSet;
use crate::scan::ScanResult;
use crate::Error;

/// How much of the CI gate a command applies.
#[derive(Debug, Clone, Copy)]
pub enum Gate<'a> {
    /// `scan`: every gate flag (baseline, diff base, fail-on, `--no-suppress`, `--no-config`).
    Full(&'a GateArgs),
    /// `plan`, `fix`, `report`, `verify`: the config and inline suppressions, as `scan` applies
    /// them; no baseline or diff (a baselined use still has to be migrated).
    Narrow,
}

pub struct Session {
    pub walk: WalkArgs,
    pub rules: RuleSet,
    pub scan: ScanResult,
    pub tally: Tally,
    pub settings: GateSettings,
    /// What `scan --history` read, for the command's summary; `None` for a tree scan.
    pub history: Option<crate::history::HistoryStats>,
}

impl Session {
    pub fn open(walk: &WalkArgs, gate: Gate<'_>) -> Result<Session, Error> {
        Session::open_from(walk, gate, None)
    }

    /// As [`Session::open`], but over the git history (`scan --history`) when `history` is
    /// given: the same config, rules and gate, with commits instead of the working tree.
    pub fn open_from(walk: &WalkArgs, gate: Gate<'_>, history: Option<&HistoryArgs>) -> Result<Session, Error> {
        let mut walk = walk.clone();
        let no_config = matches!(gate, Gate::Full(g) if g.no_config);
        let config_flag = match gate {
            Gate::Full(g) => g.config.as_deref(),
            Gate::Narrow => None,
        };
        // The first root's config; for a list of files (pre-commit) the working directory's.
        let config = match (walk.paths.first(), config_flag) {
            _ if no_config => Config::default(),
            // `--config FILE`: the user named it, so it is trusted (unlike a discovered one);
            // its relative paths are the first root's.
            (root, Some(file)) => {
                Config::trusted(file, root.filter(|r| r.is_dir()).map_or(std::path::Path::new("."), |r| r.as_path()))?
            }
            (Some(root), None) if root.is_dir() => Config::discover(root)?.unwrap_or_default(),
            _ => Config::discover(std::path::Path::new("."))?.unwrap_or_default(),
        };
        // Flags win: the file's excludes and rule directories come first, so a flag's rule of
        // the same id replaces the file's.
        walk.exclude = config.exclude.iter().cloned().chain(walk.exclude).collect();
        walk.rules = config.rules.iter().cloned().chain(walk.rules).collect();
        let threads = crate::parallel::threads(walk.threads);
        // Every command after `scan` plans, so it takes the permission-group ids of the `catalog
        // sync` cache (when there is one): plan, --emit, check, fix and report then name the
        // ids `mint` sends. `scan` shows no permission id, so a bad cache cannot stop it.
        let mut rules = match gate {
            Gate::Full(_) => RuleSet::load_on(&walk.rules, threads)?,
            Gate::Narrow => RuleSet::load_synced(&walk.rules, threads, None)?,
        };
        let ids: Vec<&str> = rules.detect.iter().map(|r| r.id.as_str()).collect();
        config.check_rules(&ids)?;
        if matches!(gate, Gate::Full(g) if g.baseline.is_none() && g.write_baseline.is_none()) {
            config.check_baseline()?;
        }
        for rule in &mut rules.detect {
            if let Some(s) = config.severity.get(&rule.id) {
                rule.severity = *s;
            }
        }
        let settings = match gate {
            Gate::Full(g) => GateSettings {
                fail_on: g.fail_on.or(config.fail_on).unwrap_or(Severity::Low),
                baseline: g.baseline.clone().or(config.baseline.clone()),
                write_baseline: g.write_baseline.clone(),
                diff_base: g.diff_base.clone(),
                suppress: !g.no_suppress,
                max_file_size: walk.max_file_size.max(1),
            },
            Gate::Narrow => GateSettings {
                fail_on: Severity::Low,
                baseline: None,
                write_baseline: None,
                diff_base: None,
                suppress: true,
                max_file_size: walk.max_file_size.max(1),
            },
        };
        let (mut scan, history) = match history {
            Some(h) => {
                let (scan, stats) = history_scan(&walk, h, &settings, &rules.detect)?;
                (scan, Some(stats))
            }
            None => {
                // `scan` reports what it found; only the commands after it follow the project.
                let opts = crate::scan::ScanOptions {
                    project_index: !matches!(gate, Gate::Full(_)),
                    ..crate::commands::scan_options(&walk)
                };
                (crate::scan::scan(&walk.paths, &rules.detect, &opts)?, None)
            }
        };
        for f in &mut scan.findings {
            if let Some(s) = config.severity.get(&f.rule) {
                f.severity = *s;
            }
        }
        let ids: Vec<&str> = rules.detect.iter().map(|r| r.id.as_str()).collect();
        let settings = if history.is_some() {
            // Suppressions were read from each committed blob; the working tree has no say.
            GateSettings { suppress: false, ..settings }
        } else {
            settings
        };
        let tally = ci::narrow(&mut scan, &walk.paths, &ids, &settings)?;
        Ok(Session { walk, rules, scan, tally, settings, history })
    }
}

/// `scan --history`: the repository's commits instead of its working tree.
fn history_scan(
    walk: &WalkArgs,
    h: &HistoryArgs,
    settings: &GateSettings,
    rules: &[crate::rules::DetectRule],
) -> Result<(ScanResult, crate::history::HistoryStats), Error> {
    if settings.diff_base.is_some() {
        return Err(Error::Usage {
            message: "`--history` and `--diff-base` do not go together".into(),
            help: "to scan only a pull request's commits, give their range: `--history=BASE..HEAD`".into(),
        });
    }
    let dir = crate::history::repository_dir(&walk.paths)?;
    let opts = crate::history::HistoryOptions {
        range: h.history.clone().filter(|r| !r.is_empty()),
        since: h.since.clone(),
        until: h.until.clone(),
        threads: walk.threads.unwrap_or(0),
        max_file_size: walk.max_file_size.max(1),
        excludes: walk.exclude.clone(),
        no_ignore: walk.no_ignore,
    };
    crate::history::scan(dir, rules, &opts)
}
