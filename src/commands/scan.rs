//! `scan`: the session's findings, reported in the chosen format and judged by the gate.

use std::io::IsTerminal;

use super::out::{eprint_text, print};
use crate::cli::{Format, ScanArgs};
use crate::session::{Gate, Session};
use crate::{ci, report, Error, Outcome};

/// `scan`: settings from `.scopesmith.yaml` under the flags, scan, narrow (diff, suppressions,
/// baseline), report, judge.
pub fn run(args: ScanArgs) -> Result<Outcome, Error> {
    let history = args.history.history.is_some().then_some(&args.history);
    // The JSON stamp asks git three questions: asked while the tree is scanned, not after.
    let source = matches!(args.format, Format::Json).then(|| {
        let (paths, name) = (args.walk.paths.clone(), args.repo_name.clone());
        std::thread::spawn(move || report::provenance::detect(&paths, name.as_deref()))
    });
    let mut session = Session::open_from(&args.walk, Gate::Full(&args.gate), history)?;
    if let Some(output) = &args.output {
        // An earlier run's report in the tree names the rules and sites it found.
        ci::drop_own_files(&mut session.scan, &args.walk.paths, std::iter::once(output));
    }
    if let Some(stats) = &session.history {
        eprint_text(&format!(
            "note: history: {} commit{}, {} file change{}, {} blobs scanned ({} seen again and not rescanned)\n",
            stats.commits,
            if stats.commits == 1 { "" } else { "s" },
            stats.changes,
            if stats.changes == 1 { "" } else { "s" },
            stats.blobs_scanned,
            stats.blobs_reused
        ));
    }
    let (result, tally, settings) = (&session.scan, &session.tally, &session.settings);
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Json => {
            // A stamp that could not be had (its thread failed) is left out, as outside git.
            let source = source.and_then(|asked| asked.join().ok()).flatten();
            report::json::render_with_source(result, tally, source.as_ref())
        }
        Format::Sarif => report::sarif::render(result, &session.rules.detect, &sarif_prefix(&args.walk.paths)),
        Format::Human | Format::Compact => {
            let (out, err) = match args.format {
                Format::Compact => report::compact::render(result, tally),
                _ => report::human::render(result, tally, to_terminal, args.verbose),
            };
            eprint_text(&err);
            out
        }
    };
    match &args.output {
        Some(path) => crate::outfile::write(path, text.as_bytes())?,
        None => print(&text),
    }
    if let (Some(path), Some(n)) = (&settings.write_baseline, tally.baseline_written) {
        eprint_text(&report::redact::scrub(&format!(
            "note: wrote {n} baseline entr{} to {}\n",
            if n == 1 { "y" } else { "ies" },
            path.display()
        )));
    }
    Ok(if ci::gate::fails(&result.findings, settings.fail_on) { Outcome::Findings } else { Outcome::Clean })
}

/// SARIF URIs are relative to where scopesmith runs: a single relative root folder is their
/// prefix (a file is reported from its repository root). Several roots already carry their own prefix.
pub(super) fn sarif_prefix(roots: &[std::path::PathBuf]) -> String {
    let [root] = roots else { return String::new() };
    // A file is already reported by its path from the repository root (scan/root_path.rs).
    if root.is_file() {
        return String::new();
    }
    let dir = root.as_path();
    if !dir.is_relative() {
        return String::new();
    }
    let s = dir.to_string_lossy().replace('\\', "/");
    let s = s.trim_start_matches("./").trim_end_matches('/');
    if s == "." {
        String::new()
    } else {
        s.to_string()
    }
}
