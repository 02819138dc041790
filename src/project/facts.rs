//! Links out of one file, per language: what it imports, includes, requires, runs or reads,
//! resolved to the files of the tree the walk saw.
//!
//! Python `import`/`from`, JS/TS `import`/`require` (relative), Go imports inside the module
//! and the other files of the same package, PHP `require`/`include` and `use` through
//! composer PSR-4, Laravel `config('file.key')`, Django's `settings` (the module `manage.py`
//! names), Ruby `require`/`require_relative`, Rust
//! `mod`/`use crate::`, Terraform local `module` sources, compose `env_file`, Helm
//! `.Values` (the chart's `values.yaml`), scripts of the repository that a workflow,
//! compose file or Dockerfile runs, a Dockerfile's `ENTRYPOINT`/`CMD` files (`docker.rs`),
//! and the Dockerfile a compose service builds or a Kubernetes workload runs (`kube.rs`). A link that resolves to no walked file is dropped: the
//! graph only joins files that exist.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use regex::Regex;

use super::consumer::{folder_of, is_workflow};
use crate::scan::texts::Texts;

/// One resolved link: the target file and what kind of link it is (for the plan's reasons).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub to: String,
    pub kind: &'static str,
    /// `to` is a Go package's folder: the link is to each of its files (see [`package_files`]).
    /// Kept as one link, not one per file: a package of a thousand files linked file to file
    /// was a million links, and gigabytes, on a large module.
    pub package: bool,
}

/// The files of the Go package in `folder` (tests apart), the targets of a package link,
/// listed once per folder: every file of a package links to it, and imports it.
pub fn package_files(texts: &Texts, memo: &Memo, folder: &str) -> Arc<[String]> {
    per_folder(&memo.packages, folder, || {
        texts.in_folder(folder).into_iter().filter(|f| is_go_source(f)).map(str::to_string).collect()
    })
}

pub(crate) fn is_go_source(f: &str) -> bool {
    f.ends_with(".go") && !f.ends_with("_test.go")
}

/// Resolutions shared by every file linked in one run: the files of a folder import the same
/// modules and share one `go.mod` and `composer.json`, and resolving a Python import tries
/// four paths in every folder up to the root.
#[derive(Default)]
pub struct Memo {
    /// Per kind of Python import (absolute, relative): the importing folder (or the relative
    /// base) -> module -> the file it resolves to; nested so that a hit allocates nothing.
    py: [Mutex<PyImports>; 2],
    /// Folder -> the nearest `go.mod`'s folder and module path.
    go_module: Mutex<HashMap<String, Option<(String, String)>>>,
    /// Folder -> the files of its Go package.
    packages: Mutex<HashMap<String, Arc<[String]>>>,
    /// Folder -> the settings module of the nearest `manage.py`.
    django: Mutex<HashMap<String, Option<String>>>,
    /// Folder -> the nearest `composer.json`'s PSR-4 prefixes.
    psr4: Mutex<HashMap<String, Vec<(String, String)>>>,
}

/// Folder -> module -> the file a Python import of it resolves to.
type PyImports = HashMap<String, HashMap<String, Option<String>>>;

/// The memoised answer for a folder, computed outside the lock (two threads may both compute
/// a missing answer; both get the same one).
fn per_folder<V: Clone>(map: &Mutex<HashMap<String, V>>, dir: &str, compute: impl FnOnce() -> V) -> V {
    if let Some(v) = map.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
        return v.clone();
    }
    let v = compute();
    map.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_string(), v.clone());
    v
}

fn re(p: &str) -> Regex {
    crate::pattern::new(p).expect("built-in link pattern")
}

static PY_FROM: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^\s*from\s+(\.*)([A-Za-z_][\w.]*)?\s+import\s+\(?\s*([\w, \t]+)"));
static PY_IMPORT: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^\s*import\s+([A-Za-z_][\w.]*)"));
static JS_IMPORT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}/[^"']+)["']"#));
static GO_IMPORT_BLOCK: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)\bimport\s*\(([^)]*)\)"));
static GO_IMPORT_ONE: LazyLock<Regex> = LazyLock::new(|| re(r#"(?m)^\s*import\s+(?:\w+\s+)?"([^"]+)""#));
static GO_QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#""([^"]+)""#));
static GO_MODULE: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^\s*module\s+(\S+)"));
static PHP_REQUIRE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b(?:require|include)(?:_once)?\s*\(?\s*(?:__DIR__\s*\.\s*)?["']([^"']+\.php)["']"#));
static PHP_USE: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^\s*use\s+\\?([A-Za-z_][\w\\]*)\s*(?:as\s+\w+\s*)?;"));
static PHP_CONFIG: LazyLock<Regex> = LazyLock::new(|| re(r#"\bconfig\s*\(\s*["']([a-z_]+)\."#));
static PSR4: LazyLock<Regex> = LazyLock::new(|| re(r#""((?:[A-Za-z_]\w*\\\\)+)"\s*:\s*"([^"]*)""#));
static RB_REQUIRE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?m)^\s*(require|require_relative|load)\s*\(?\s*["']([^"']+)["']"#));
static RS_MOD: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_]\w*)\s*;"));
static RS_USE: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^\s*(?:pub\s+)?use\s+crate::([a-z_]\w*)"));
static TF_MODULE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?s)\bmodule\s+"[^"]+"\s*\{[^}]*?\bsource\s*=\s*"(\.{1,2}/[^"]*)""#));
static ENV_FILE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?m)(?:\benv_file:\s*|^\s*-\s+)["']?((?:\./)?[\w./-]*\.env[\w.-]*)["']?\s*$"#));
static HELM_VALUES: LazyLock<Regex> = LazyLock::new(|| re(r"\.Values\."));
/// A script of the repository run by a CI step, compose command or Dockerfile entrypoint.
static SCRIPT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?:^|[\s"'\[=,])((?:\./)?(?:[\w.-]+/)*[\w.-]+\.(?:sh|bash|py|js|mjs|ts|rb|php))\b"#));

/// `python -m tools.purge` (or `python3 -X dev -m ...`) in a workflow step, a compose command
/// or an image's entrypoint.
static PY_RUN_MODULE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bpython[0-9.]*\s+(?:-[A-Za-z]\S*\s+)*-m\s+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)"));

/// The file `python -m module` runs from folder `base` (or its `src/`): a package's
/// `__main__.py`, else the module's own file. A module the tree does not have (`pip`,
/// `pytest`, `http.server`) links nowhere.
fn py_main(texts: &Texts, base: &str, module: &str) -> Option<String> {
    let first = module.split('.').next().unwrap_or(module);
    if !texts.has_name(first) && !texts.has_name(&format!("{first}.py")) {
        return None;
    }
    let rel = module.replace('.', "/");
    [base.to_string(), join(base, "src")].iter().find_map(|at| {
        existing(texts, &join(at, &format!("{rel}/__main__.py")))
            .or_else(|| existing(texts, &join(at, &format!("{rel}.py"))))
    })
}

pub fn links(path: &str, text: &str, texts: &Texts, memo: &Memo) -> Vec<Link> {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let dir = folder_of(path);
    let mut out = if ext == "go" { go_links(path, text, texts, memo) } else { Vec::new() };
    let mut add = |to: Option<String>, kind: &'static str| {
        if let Some(to) = to {
            if to != path {
                out.push(Link { to, kind, package: false });
            }
        }
    };
    match ext {
        "py" => {
            for c in PY_FROM.captures_iter(text) {
                let dots = c.get(1).map_or(0, |m| m.len());
                let module = c.get(2).map_or("", |m| m.as_str());
                let names = c.get(3).map_or("", |m| m.as_str());
                let base = if dots > 0 { Some(up(dir, dots - 1)) } else { None };
                add(py_module(texts, memo, dir, base.as_deref(), module), "python import");
                // `from pkg import config`: the name may be a module of the package.
                for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let name = name.split_whitespace().next().unwrap_or(name);
                    let sub = if module.is_empty() { name.to_string() } else { format!("{module}.{name}") };
                    add(py_module(texts, memo, dir, base.as_deref(), &sub), "python import");
                }
            }
            for c in PY_IMPORT.captures_iter(text) {
                add(py_module(texts, memo, dir, None, &c[1]), "python import");
            }
            // `from django.conf import settings` reads the project's settings module, the one
            // `manage.py` names: `settings.EDGE_KEY` is a value that module defines.
            if DJANGO_SETTINGS_IMPORT.is_match(text) {
                add(per_folder(&memo.django, dir, || django_settings(texts, memo, dir)), "django settings");
            }
        }
        "js" | "mjs" | "cjs" | "ts" | "mts" | "tsx" | "jsx" => {
            for c in JS_IMPORT.captures_iter(text) {
                add(js_module(texts, dir, &c[1]), "import");
            }
        }
        "php" => {
            for c in PHP_REQUIRE.captures_iter(text) {
                let rel = c[1].trim_start_matches('/');
                add(existing(texts, &join(dir, rel)), "php include");
            }
            let psr4 = per_folder(&memo.psr4, dir, || composer_psr4(texts, dir));
            for c in PHP_USE.captures_iter(text) {
                add(php_class(texts, &psr4, &c[1]), "php use");
            }
            for c in PHP_CONFIG.captures_iter(text) {
                add(in_ancestors(texts, dir, &format!("config/{}.php", &c[1])), "laravel config()");
            }
        }
        "rb" => {
            for c in RB_REQUIRE.captures_iter(text) {
                let target = c[2].trim_end_matches(".rb");
                let found = if &c[1] == "require" && !target.starts_with('.') {
                    in_ancestors(texts, dir, &format!("lib/{target}.rb"))
                        .or_else(|| in_ancestors(texts, dir, &format!("{target}.rb")))
                } else {
                    existing(texts, &join(dir, &format!("{target}.rb")))
                };
                add(found, "ruby require");
            }
        }
        "rs" => {
            let name = path.rsplit('/').next().unwrap_or(path);
            let mod_dir = if matches!(name, "main.rs" | "lib.rs" | "mod.rs") {
                dir.to_string()
            } else {
                join(dir, name.trim_end_matches(".rs"))
            };
            for c in RS_MOD.captures_iter(text) {
                add(
                    existing(texts, &join(&mod_dir, &format!("{}.rs", &c[1])))
                        .or_else(|| existing(texts, &join(&mod_dir, &format!("{}/mod.rs", &c[1])))),
                    "rust mod",
                );
            }
            if let Some(src) = crate_src(dir) {
                for c in RS_USE.captures_iter(text) {
                    add(
                        existing(texts, &join(&src, &format!("{}.rs", &c[1])))
                            .or_else(|| existing(texts, &join(&src, &format!("{}/mod.rs", &c[1])))),
                        "rust use",
                    );
                }
            }
        }
        "tf" => {
            for c in TF_MODULE.captures_iter(text) {
                let child = normalise(&join(dir, &c[1]));
                for f in texts.in_folder(&child).into_iter().filter(|f| f.ends_with(".tf")) {
                    add(Some(f.to_string()), "terraform module");
                }
            }
            // The module's variables and tfvars are the same unit already (its folder).
        }
        _ => {}
    }
    let is_compose = path.contains("compose") && matches!(ext, "yml" | "yaml");
    let is_docker = super::kube::is_dockerfile(path);
    if is_compose {
        for c in ENV_FILE.captures_iter(text) {
            add(existing(texts, &normalise(&join(dir, &c[1]))), "compose env_file");
        }
    }
    if is_workflow(path) || is_compose || is_docker {
        // Paths in a workflow are relative to the repository root; elsewhere to the file.
        let base = if path.contains(".github/workflows/") { up(dir, 2) } else { dir.to_string() };
        for c in SCRIPT.captures_iter(text) {
            add(existing(texts, &normalise(&join(&base, &c[1]))), "runs the script");
        }
        for c in PY_RUN_MODULE.captures_iter(text) {
            add(py_main(texts, &base, &c[1]), "runs the module");
        }
    }
    if is_docker {
        for f in super::docker::entry_files(path, text, texts) {
            add(Some(f), "image entrypoint");
        }
    }
    if is_compose {
        for f in super::docker::compose_builds(path, text, texts) {
            add(Some(f), "builds the image");
        }
    } else if matches!(ext, "yaml" | "yml") && super::kube::is_workload(text) {
        add(super::kube::dockerfile_for(path, text, texts), "runs the image");
    }
    if matches!(ext, "yaml" | "yml" | "tpl") && path.contains("/templates/") && HELM_VALUES.is_match(text) {
        let chart = up(dir, 1);
        add(existing(texts, &join(&chart, "values.yaml")), "helm values");
    }
    out.sort();
    out.dedup();
    out
}

fn go_links(path: &str, text: &str, texts: &Texts, memo: &Memo) -> Vec<Link> {
    let dir = folder_of(path);
    let mut out = Vec::new();
    // The files of one package share their names; a package with no file but this one links
    // nowhere.
    if package_files(texts, memo, dir).iter().any(|f| f != path) {
        out.push(Link { to: dir.to_string(), kind: "go package", package: true });
    }
    let Some((root, module)) = per_folder(&memo.go_module, dir, || go_module(texts, dir)) else { return out };
    let mut imports: Vec<String> = GO_IMPORT_ONE.captures_iter(text).map(|c| c[1].to_string()).collect();
    for block in GO_IMPORT_BLOCK.captures_iter(text) {
        imports.extend(GO_QUOTED.captures_iter(&block[1]).map(|c| c[1].to_string()));
    }
    for imp in imports {
        let Some(rel) = imp.strip_prefix(&module) else { continue };
        let pkg = join(&root, rel.trim_start_matches('/'));
        if !package_files(texts, memo, &pkg).is_empty() {
            out.push(Link { to: pkg, kind: "go import", package: true });
        }
    }
    out
}

static DJANGO_SETTINGS_IMPORT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^\s*from\s+django\.conf\s+import\s+(?:\(\s*)?(?:[\w, \t]*,\s*)?settings\b"));
static DJANGO_SETTINGS_MODULE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"["']DJANGO_SETTINGS_MODULE["']\s*,\s*["']([A-Za-z_][\w.]*)["']"#));

/// The settings module the nearest `manage.py` above `dir` sets (`DJANGO_SETTINGS_MODULE`),
/// resolved from `manage.py`'s folder.
fn django_settings(texts: &Texts, memo: &Memo, dir: &str) -> Option<String> {
    let manage = in_ancestors(texts, dir, "manage.py")?;
    let text = texts.text_passing(&manage)?;
    let module = DJANGO_SETTINGS_MODULE.captures(&text)?[1].to_string();
    py_module(texts, memo, folder_of(&manage), None, &module)
}

/// The folder of the nearest `go.mod` and the module path it declares.
fn go_module(texts: &Texts, dir: &str) -> Option<(String, String)> {
    let found = in_ancestors(texts, dir, "go.mod")?;
    let text = texts.text(&found)?;
    let module = GO_MODULE.captures(&text)?[1].to_string();
    Some((folder_of(&found).to_string(), module))
}

fn composer_psr4(texts: &Texts, dir: &str) -> Vec<(String, String)> {
    let Some(found) = in_ancestors(texts, dir, "composer.json") else { return Vec::new() };
    let Some(text) = texts.text(&found) else { return Vec::new() };
    let root = folder_of(&found).to_string();
    PSR4.captures_iter(&text).map(|c| (c[1].replace("\\\\", "\\"), join(&root, c[2].trim_end_matches('/')))).collect()
}

fn php_class(texts: &Texts, psr4: &[(String, String)], class: &str) -> Option<String> {
    psr4.iter().find_map(|(prefix, folder)| {
        let rest = class.strip_prefix(prefix.as_str())?;
        existing(texts, &join(folder, &format!("{}.php", rest.replace('\\', "/"))))
    })
}

fn py_module(texts: &Texts, memo: &Memo, dir: &str, base: Option<&str>, module: &str) -> Option<String> {
    if module.is_empty() {
        return None;
    }
    let (map, at) = (&memo.py[usize::from(base.is_some())], base.unwrap_or(dir));
    let known = map.lock().unwrap_or_else(|e| e.into_inner()).get(at).and_then(|m| m.get(module).cloned());
    if let Some(found) = known {
        return found;
    }
    let found = py_module_in(texts, memo, dir, base, module);
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(at.to_string()).or_default().insert(module.to_string(), found.clone());
    found
}

fn py_module_in(texts: &Texts, memo: &Memo, dir: &str, base: Option<&str>, module: &str) -> Option<String> {
    // `a.b` is `a.py` or a folder `a` somewhere, or it is not in the tree at all.
    let first = module.split('.').next().unwrap_or(module);
    if !texts.has_name(first) && !texts.has_name(&format!("{first}.py")) {
        return None;
    }
    let rel = module.replace('.', "/");
    let try_at = |at: &str| {
        existing(texts, &join(at, &format!("{rel}.py")))
            .or_else(|| existing(texts, &join(at, &format!("{rel}/__init__.py"))))
    };
    match base {
        Some(b) => try_at(b),
        // An absolute import: from the file's folder up to the root (package layouts and
        // `src/`); the answer of the folder above is memoised too, for its other folders.
        None => try_at(dir).or_else(|| try_at(&join(dir, "src"))).or_else(|| {
            if dir.is_empty() {
                None
            } else {
                py_module(texts, memo, folder_of(dir), None, module)
            }
        }),
    }
}

fn js_module(texts: &Texts, dir: &str, spec: &str) -> Option<String> {
    let base = normalise(&join(dir, spec));
    let stem = base.strip_suffix(".js").unwrap_or(&base);
    [".ts", ".tsx", ".js", ".mjs", ".cjs", ".mts", ""]
        .iter()
        .map(|e| format!("{stem}{e}"))
        .chain(["index.ts", "index.js"].iter().map(|i| join(&base, i)))
        .find_map(|p| existing(texts, &p))
}

fn crate_src(dir: &str) -> Option<String> {
    let mut at = dir;
    loop {
        if at == "src" || at.ends_with("/src") {
            return Some(at.to_string());
        }
        if at.is_empty() {
            return None;
        }
        at = folder_of(at);
    }
}

fn existing(texts: &Texts, p: &str) -> Option<String> {
    texts.exists(p).then(|| p.to_string())
}

/// `name` in `dir` or the nearest folder above it that has it.
pub(crate) fn in_ancestors(texts: &Texts, dir: &str, name: &str) -> Option<String> {
    let mut at = dir;
    loop {
        if let Some(f) = existing(texts, &join(at, name)) {
            return Some(f);
        }
        if at.is_empty() {
            return None;
        }
        at = folder_of(at);
    }
}

pub(crate) fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

fn up(dir: &str, levels: usize) -> String {
    let mut d = dir;
    for _ in 0..levels {
        d = folder_of(d);
    }
    d.to_string()
}

/// Resolves `.` and `..` segments; a path that climbs above the root resolves to nothing
/// (an empty segment list never matches a walked file outside the tree).
pub(crate) fn normalise(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return String::from("\u{0}outside");
                }
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_paths() {
        assert_eq!(normalise("a/./b/../c.py"), "a/c.py");
        assert_eq!(normalise("./modules/dns"), "modules/dns");
        assert!(normalise("../../etc/passwd").starts_with('\u{0}'));
    }
}
