//! `catalog import-openapi` (`catalog sync` lives with the API client in `api::commands`).

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
