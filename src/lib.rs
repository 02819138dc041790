//! scopesmith: finds uses of Cloudflare's legacy Global API Key and plans the scoped API
//! tokens that replace them.
//!
//! The pipeline is plain data from stage to stage: `scan` (walk, read, detect) produces
//! `Finding`s; `report` renders them. `main.rs` only parses arguments and maps the outcome to
//! an exit code.

pub mod api;
pub mod ci;
pub mod cli;
pub mod error;
pub mod finding;
pub mod fix;
pub mod infer;
pub mod policy;
pub mod report;
pub mod rules;
pub mod scan;
pub mod secret;

use std::io::{IsTerminal, Write};

pub use error::Error;

use cli::{Cli, Command, Format, ReportArgs, ReportFormat, RulesCommand, ScanArgs, WalkArgs};
use rules::RuleSet;

/// How a command ended, as the process exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report (exit 0).
    Clean,
    /// Findings that fail the gate (exit 1).
    Findings,
}

pub fn run(cli: Cli) -> Result<Outcome, Error> {
    match cli.command {
        Command::Scan(args) => scan_command(args),
        Command::Plan(args) => {
            let rules = RuleSet::load(&args.walk.rules)?;
            let result = scan::scan(&args.walk.paths, &rules.detect, &scan_options(&args.walk))?;
            let plan = infer::plan(&result, &rules.knowledge);
            if let (Some(emit), Some(out)) = (args.emit, &args.out) {
                return emit_command(&plan, emit, out, &args);
            }
            print(&match args.format {
                Format::Json => report::plan::json_with_source(
                    &plan,
                    report::provenance::detect(&args.walk.paths, args.repo_name.as_deref()).as_ref(),
                ),
                Format::Human => report::plan::human(&plan),
                Format::Sarif => {
                    return Err(Error::Usage {
                        message: "`plan` has no SARIF form".into(),
                        help: "use `--format json` for plans; SARIF is for `scan` findings".into(),
                    })
                }
            });
            Ok(if plan.credentials.is_empty() { Outcome::Clean } else { Outcome::Findings })
        }
        Command::Catalog(cli::CatalogCommand::Sync(args)) => api::commands::sync(args),
        Command::Catalog(cli::CatalogCommand::ImportOpenapi { file, out }) => import_openapi(&file, &out),
        Command::Verify(args) => api::commands::verify(args),
        Command::Mint(args) => api::commands::mint(args),
        Command::Report(args) => report_command(args),
        Command::Fix(args) => {
            let rules = RuleSet::load(&args.walk.rules)?;
            let result = scan::scan(&args.walk.paths, &rules.detect, &scan_options(&args.walk))?;
            let fixes = fix::plan(&result);
            if args.apply {
                let written = fix::apply(&fixes, &args.walk.paths)?;
                eprint_text(&report::redact::scrub(&fix::summary(&fixes, Some(written))));
            } else {
                print(&fix::diff(&fixes));
                eprint_text(&report::redact::scrub(&fix::summary(&fixes, None)));
            }
            Ok(if fixes.edits.is_empty() { Outcome::Clean } else { Outcome::Findings })
        }
        Command::Rules(RulesCommand::List { rules, format }) => {
            let set = RuleSet::load(&rules)?;
            print(&rules_list(&set, format));
            Ok(Outcome::Clean)
        }
        Command::Rules(RulesCommand::Check { files }) => {
            let mut user = Vec::new();
            for f in &files {
                user.extend(rules::load::user_sources(f)?);
            }
            let names: Vec<String> = user.iter().map(|s| s.name.clone()).collect();
            // Checking a copy of a built-in file (`rules check rules/detect/env.yaml`) must not
            // report its ids as defined twice.
            let mut sources: Vec<_> =
                rules::load::builtin_sources().into_iter().filter(|b| !user.iter().any(|u| u.text == b.text)).collect();
            sources.extend(user);
            let set = RuleSet::from_sources(&sources)?;
            print(&format!(
                "ok: {} file{} checked ({} detection rules, {} operations in effect)\n",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                set.detect.len(),
                set.knowledge.operations.len()
            ));
            Ok(Outcome::Clean)
        }
    }
}

/// `plan --emit`: token definitions written under `out`, a one-line summary per file.
fn emit_command(
    plan: &infer::Plan,
    emit: cli::Emit,
    out: &std::path::Path,
    args: &cli::PlanArgs,
) -> Result<Outcome, Error> {
    let opts = policy::validate(&policy::EmitOptions {
        allow_ip: args.allow_ip.clone(),
        expires_on: args.expires_on.clone(),
        user_token: args.user_token,
    })?;
    let tokens = policy::tokens(plan, &opts);
    let files: Vec<(String, String)> = match emit {
        cli::Emit::CloudflareJson => policy::cloudflare::render(&tokens),
        cli::Emit::Terraform => {
            let provider =
                if args.terraform_v4 { policy::terraform::Provider::V4 } else { policy::terraform::Provider::V5 };
            if tokens.is_empty() {
                Vec::new()
            } else {
                vec![("tokens.tf".to_string(), policy::terraform::render(&tokens, provider))]
            }
        }
    };
    std::fs::create_dir_all(out).map_err(|e| Error::Write { path: out.to_path_buf(), source: e })?;
    let mut summary = String::new();
    for (name, text) in &files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| Error::Write { path: path.clone(), source: e })?;
        summary.push_str(&format!("wrote {}\n", path.display()));
    }
    for t in &tokens {
        for n in &t.notes {
            summary.push_str(&format!("note: {}: {n}\n", t.credential));
        }
    }
    let skipped = plan.credentials.len() - tokens.len();
    if skipped > 0 {
        summary.push_str(&format!(
            "{skipped} credential(s) with no inferred permission: no token emitted (see `scopesmith plan`)\n"
        ));
    }
    print(&report::redact::scrub(&summary));
    Ok(if plan.credentials.is_empty() { Outcome::Clean } else { Outcome::Findings })
}

/// `scan`: settings from `.scopesmith.yaml` under the flags, scan, narrow (diff, suppressions,
/// baseline), report, judge.
fn scan_command(mut args: ScanArgs) -> Result<Outcome, Error> {
    // The first root's config; for a list of files (pre-commit) the working directory's.
    let config = match args.walk.paths.first() {
        _ if args.gate.no_config => ci::config::Config::default(),
        Some(root) if root.is_dir() => ci::config::Config::discover(root)?.unwrap_or_default(),
        _ => ci::config::Config::discover(std::path::Path::new("."))?.unwrap_or_default(),
    };
    // Flags win: the file's excludes and rule directories come first, so a flag's rule of the
    // same id replaces the file's.
    args.walk.exclude = config.exclude.iter().cloned().chain(args.walk.exclude).collect();
    args.walk.rules = config.rules.iter().cloned().chain(args.walk.rules).collect();
    let mut rules = RuleSet::load(&args.walk.rules)?;
    let ids: Vec<&str> = rules.detect.iter().map(|r| r.id.as_str()).collect();
    config.check_rules(&ids)?;
    for rule in &mut rules.detect {
        if let Some(s) = config.severity.get(&rule.id) {
            rule.severity = *s;
        }
    }
    let settings = ci::GateSettings {
        fail_on: args.gate.fail_on.or(config.fail_on).unwrap_or(finding::Severity::Low),
        baseline: args.gate.baseline.clone().or(config.baseline.clone()),
        write_baseline: args.gate.write_baseline.clone(),
        diff_base: args.gate.diff_base.clone(),
        suppress: !args.gate.no_suppress,
    };
    let mut result = scan::scan(&args.walk.paths, &rules.detect, &scan_options(&args.walk))?;
    for f in &mut result.findings {
        if let Some(s) = config.severity.get(&f.rule) {
            f.severity = *s;
        }
    }
    let ids: Vec<&str> = rules.detect.iter().map(|r| r.id.as_str()).collect();
    let tally = ci::narrow(&mut result, &args.walk.paths, &ids, &settings)?;
    match args.format {
        Format::Json => {
            let source = report::provenance::detect(&args.walk.paths, args.repo_name.as_deref());
            print(&report::json::render_with_source(&result, &tally, source.as_ref()))
        }
        Format::Sarif => print(&report::sarif::render(&result, &rules.detect, &sarif_prefix(&args.walk.paths))),
        Format::Human => {
            let (out, err) = report::human::render(&result, &tally, std::io::stdout().is_terminal(), args.verbose);
            eprint_text(&err);
            print(&out);
        }
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

/// `report`: scan and plan each PATH on its own (one repository each), read the saved results,
/// merge, compare, render.
fn report_command(args: ReportArgs) -> Result<Outcome, Error> {
    use report::model::{Report, Repository};
    let (saved, roots): (Vec<_>, Vec<_>) = args.walk.paths.iter().cloned().partition(|p| report::saved::is_saved(p));
    let mut repos = Vec::new();
    for path in &saved {
        repos.push(report::saved::read(path)?);
    }
    let repo_name = if roots.len() == 1 { args.repo_name.as_deref() } else { None };
    for root in &roots {
        let mut walk = args.walk.clone();
        walk.paths = vec![root.clone()];
        let (result, rules) = configured_scan(walk)?;
        let plan = infer::plan(&result, &rules.knowledge);
        let source = report::provenance::detect(std::slice::from_ref(root), repo_name);
        let folder = root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| root.display().to_string());
        let name = repo_name.map(str::to_string).unwrap_or(folder);
        repos.push(Repository::live(name, source, root.display().to_string(), &result, &plan));
    }
    let mut doc = Report::new(report::saved::merge(repos));
    if !args.compare.is_empty() {
        let mut previous = Vec::new();
        for path in &args.compare {
            previous.push(report::saved::read(path)?);
        }
        let previous = Report::new(report::saved::merge(previous));
        let label = match previous.repositories.as_slice() {
            [one] => one.label(),
            many => format!("{} saved results", many.len()),
        };
        doc.compare(&previous, label);
    }
    let text = match args.format {
        ReportFormat::Html => report::html::render(&doc),
        ReportFormat::Markdown => report::markdown::render(&doc),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|source| Error::Write { path: path.clone(), source })?,
        None => print(&text),
    }
    Ok(Outcome::Clean)
}

/// A scan as `scan` would report it, without the gate: `.scopesmith.yaml` (excludes, extra
/// rules, severities) and inline suppressions apply, so a live report agrees with the saved
/// `scan --format json` of the same tree.
fn configured_scan(mut walk: WalkArgs) -> Result<(scan::ScanResult, RuleSet), Error> {
    let config = match walk.paths.first() {
        Some(root) if root.is_dir() => ci::config::Config::discover(root)?.unwrap_or_default(),
        _ => ci::config::Config::default(),
    };
    walk.exclude = config.exclude.iter().cloned().chain(walk.exclude).collect();
    walk.rules = config.rules.iter().cloned().chain(walk.rules).collect();
    let mut rules = RuleSet::load(&walk.rules)?;
    let ids: Vec<&str> = rules.detect.iter().map(|r| r.id.as_str()).collect();
    config.check_rules(&ids)?;
    for rule in &mut rules.detect {
        if let Some(s) = config.severity.get(&rule.id) {
            rule.severity = *s;
        }
    }
    let mut result = scan::scan(&walk.paths, &rules.detect, &scan_options(&walk))?;
    for f in &mut result.findings {
        if let Some(s) = config.severity.get(&f.rule) {
            f.severity = *s;
        }
    }
    let settings = ci::GateSettings {
        fail_on: finding::Severity::Low,
        baseline: None,
        write_baseline: None,
        diff_base: None,
        suppress: true,
    };
    let ids: Vec<String> = rules.detect.iter().map(|r| r.id.clone()).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    ci::narrow(&mut result, &walk.paths, &ids, &settings)?;
    Ok((result, rules))
}

/// SARIF URIs are relative to where scopesmith runs: a single relative root folder is their
/// prefix. Several roots already carry their own prefix.
fn sarif_prefix(roots: &[std::path::PathBuf]) -> String {
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

pub fn scan_options(w: &WalkArgs) -> scan::ScanOptions {
    // The walker's threads read and match the files too; 0 lets it pick one per core.
    let threads = w.threads.unwrap_or(0);
    scan::ScanOptions {
        walk: scan::WalkOptions {
            no_ignore: w.no_ignore,
            follow_links: w.follow,
            threads,
            excludes: w.exclude.clone(),
        },
        max_file_size: w.max_file_size.max(1),
        // Only for a person watching: never in CI logs or when stderr is piped.
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
    }
}

fn rules_list(set: &RuleSet, format: Format) -> String {
    match format {
        Format::Json | Format::Sarif => {
            let rows: Vec<serde_json::Value> = set
                .detect
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "kind": r.kind, "severity": r.severity, "summary": r.summary,
                        "why": r.why, "fix": r.fix, "files": r.file_globs, "origin": r.origin,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&serde_json::json!({ "rules": rows })).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Human => {
            let width = set.detect.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut s = String::new();
            for r in &set.detect {
                s.push_str(&format!(
                    "{:width$}  {:8}  {:7}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.kind.as_str(),
                    r.summary
                ));
            }
            s.push_str(&format!(
                "{} detection rules; {} API operations, {} permission groups, {} SDK maps, {} tool profiles\n",
                set.detect.len(),
                set.knowledge.operations.len(),
                set.knowledge.groups.len(),
                set.knowledge.sdks.len(),
                set.knowledge.tools.len()
            ));
            s
        }
    }
}

/// `catalog import-openapi`: the document's operations as catalog files under `out`.
fn import_openapi(file: &std::path::Path, out: &std::path::Path) -> Result<Outcome, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Usage {
        message: format!("{}:{}:{}: not valid JSON: {e}", file.display(), e.line(), e.column()),
        help: "pass Cloudflare's openapi.json (JSON, not YAML)".into(),
    })?;
    let known = RuleSet::load(&[])?.knowledge;
    let import = rules::openapi::import(&doc, &known).map_err(|m| Error::Usage {
        message: format!("{}: {m}", file.display()),
        help: "pass an OpenAPI 3 document with a `paths` object".into(),
    })?;
    std::fs::create_dir_all(out).map_err(|e| Error::Write { path: out.to_path_buf(), source: e })?;
    for (family, catalog) in &import.families {
        let path = out.join(format!("{family}.yaml"));
        let body = serde_norway::to_string(catalog).map_err(|e| Error::Usage {
            message: format!("cannot write the `{family}` catalog: {e}"),
            help: "report this as a bug".into(),
        })?;
        let text = format!("# Imported by `scopesmith catalog import-openapi` from {}\n{body}", file.display());
        std::fs::write(&path, text).map_err(|e| Error::Write { path, source: e })?;
    }
    let mut msg = format!(
        "{} operations in {} families written to {}\n",
        import.operations,
        import.families.len(),
        out.display()
    );
    if !import.unknown_groups.is_empty() {
        msg.push_str(&format!(
            "{} permission group names are not in the bundled table; add them to a permission-groups file in the same --rules directory before use: {}\n",
            import.unknown_groups.len(),
            import.unknown_groups.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    msg.push_str(&format!("use it with: scopesmith plan --rules {} PATH\n", out.display()));
    print(&msg);
    Ok(Outcome::Clean)
}

/// Writes to stdout; a closed pipe (`scopesmith scan | head`) ends quietly with exit 0.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

pub(crate) fn eprint_text(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
