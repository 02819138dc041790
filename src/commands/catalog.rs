//! `catalog import-openapi` and `catalog generate` (`catalog sync` lives with the API client in `api::commands`).

use super::out::print;
use crate::rules::{self, RuleSet};
use crate::{Error, Outcome};

/// `catalog import-openapi`: the document's operations as catalog files under `out`.
pub fn import_openapi(file: &std::path::Path, out: &std::path::Path) -> Result<Outcome, Error> {
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
    crate::outfile::create_dir(out)?;
    let mut stems = std::collections::BTreeSet::new();
    for (family, catalog) in &import.families {
        // The family comes from the document's operationId: only a plain file name may be
        // made of it (`/tmp/x` or `../x` must not choose where the file goes).
        let base = rules::openapi::file_stem(family);
        let mut stem = base.clone();
        for n in 2.. {
            if stems.insert(stem.clone()) {
                break;
            }
            stem = format!("{base}-{n}");
        }
        let path = out.join(format!("{stem}.yaml"));
        let body = serde_norway::to_string(catalog).map_err(|e| Error::Usage {
            message: format!("cannot write the `{family}` catalog: {e}"),
            help: "report this as a bug".into(),
        })?;
        let text = format!("# Imported by `scopesmith catalog import-openapi` from {}\n{body}", file.display());
        crate::outfile::write(&path, text.as_bytes())?;
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

/// `catalog generate`: the catalog and SDK maps from the saved extracts (see tools/catalog/README.md).
pub fn generate(root: &std::path::Path, check: bool) -> Result<Outcome, Error> {
    let files = rules::generate::generate(root).map_err(|m| Error::Usage {
        message: format!("cannot build the catalog: {m}"),
        help: "run it at the root of a scopesmith checkout (--root DIR), where tools/catalog/extracts is".into(),
    })?;
    let stale = rules::generate::stale(root, &files);
    if check {
        print(&format!("{} generated files, {} differ from the extracts\n", files.len(), stale.len()));
        for f in &stale {
            print(&format!("  {f}\n"));
        }
        return Ok(if stale.is_empty() { Outcome::Clean } else { Outcome::Findings });
    }
    let n = rules::generate::write(root, &files).map_err(|e| Error::Write { path: root.to_path_buf(), source: e })?;
    print(&format!("{} generated files, {n} rewritten\n", files.len()));
    Ok(Outcome::Clean)
}
