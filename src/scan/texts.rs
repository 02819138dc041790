//! The decoded text of the files later stages need, kept by the scan so that nothing after it
//! decodes a file its own way.
//!
//! The scan stores the text of every file with a finding (already capped and decoded: UTF-16,
//! invalid UTF-8 replaced). It also remembers the paths of the project files it walked (code,
//! build manifests, CI and deployment config) without reading them, so the project graph can
//! resolve an import to a file the walk saw, honouring the same ignore files and excludes.
//! When the graph reaches such a file, [`Texts::text`] reads it once, through the scan's own
//! reader and cap ([`super::source::read`]), and keeps it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::source;

/// Display path -> decoded text, plus the walked project files that may be read on demand.
#[derive(Debug, Default)]
pub struct Texts {
    /// Files read so far (`None`: unreadable or binary).
    read: Mutex<BTreeMap<String, Option<Arc<str>>>>,
    /// Display path -> real path of every project file the walk saw.
    walked: BTreeMap<String, PathBuf>,
    /// Every folder and file name among the walked paths, made when first asked.
    names: std::sync::OnceLock<std::collections::HashSet<String>>,
    /// A hash of every walked path, made when first asked: the graph asks for many paths that
    /// do not exist (each folder an import could be in), and a hash answers most of them
    /// without comparing long shared prefixes down the ordered map.
    hashes: std::sync::OnceLock<std::collections::HashSet<u64>>,
    /// Display path -> real path of the other files the walk admitted (templates, SQL, HTML),
    /// recorded only for the project model: an app's settings form or schema shows it collects
    /// its users' keys ([`crate::infer::collected`]). Never linked by the graph.
    others: BTreeMap<String, PathBuf>,
    max_file_size: u64,
}

impl Clone for Texts {
    fn clone(&self) -> Self {
        Texts {
            read: Mutex::new(self.read.lock().unwrap_or_else(|e| e.into_inner()).clone()),
            walked: self.walked.clone(),
            names: self.names.clone(),
            hashes: self.hashes.clone(),
            others: self.others.clone(),
            max_file_size: self.max_file_size,
        }
    }
}

impl Texts {
    pub(crate) fn new(max_file_size: u64) -> Texts {
        Texts { max_file_size, ..Default::default() }
    }

    /// The scan keeps the text it decoded.
    pub(crate) fn keep(&mut self, display: String, text: String) {
        self.read.get_mut().unwrap_or_else(|e| e.into_inner()).insert(display, Some(Arc::from(text)));
    }

    pub(crate) fn walked(&mut self, display: String, real: PathBuf) {
        self.walked.insert(display, real);
        self.names = Default::default();
        self.hashes = Default::default();
    }

    pub(crate) fn other(&mut self, display: String, real: PathBuf) {
        self.others.insert(display, real);
    }

    /// Every file the walk admitted under `folder` (`""` is the root), project files and
    /// others, at most `depth` folders down, in path order.
    pub fn around(&self, folder: &str, depth: usize) -> Vec<&str> {
        let start = if folder.is_empty() { String::new() } else { format!("{folder}/") };
        fn within<'m>(m: &'m BTreeMap<String, PathBuf>, start: &str, depth: usize) -> Vec<&'m str> {
            m.range::<str, _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded))
                .map(|(k, _)| k.as_str())
                .take_while(|k| k.starts_with(start))
                .filter(|k| k[start.len()..].matches('/').count() < depth)
                .collect()
        }
        let mut all = within(&self.walked, &start, depth);
        all.extend(within(&self.others, &start, depth));
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The decoded text of any admitted file, read through the scan's reader and cap and not
    /// kept (a file the scan kept is answered from memory).
    pub fn text_of_any(&self, display: &str) -> Option<Arc<str>> {
        if self.walked.contains_key(display) {
            return self.text_passing(display);
        }
        self.read_real(self.others.get(display)?, display)
    }

    /// Whether some walked path has a folder or file of this name: an import of a module the
    /// tree does not have (the standard library, a dependency) is let go without trying the
    /// paths it could have had in every folder up to the root.
    pub fn has_name(&self, name: &str) -> bool {
        self.names
            .get_or_init(|| self.walked.keys().flat_map(|k| k.split('/')).map(str::to_string).collect())
            .contains(name)
    }

    /// Whether the walk saw this project file (it was not ignored or excluded).
    pub fn exists(&self, display: &str) -> bool {
        // Every file read or kept was walked (`keep` goes with `walked`, `text` reads only
        // walked files), so the walked list answers alone, without a lock. Two paths may share
        // a hash, so the map confirms what the hashes admit.
        let hashes = self.hashes.get_or_init(|| self.walked.keys().map(|k| path_hash(k)).collect());
        hashes.contains(&path_hash(display)) && self.walked.contains_key(display)
    }

    /// Walked project files under a folder (`""` is the root), in path order.
    pub fn under<'a>(&'a self, folder: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let start = if folder.is_empty() { String::new() } else { format!("{folder}/") };
        self.walked.range(start.clone()..).map(|(k, _)| k.as_str()).take_while(move |k| k.starts_with(&start))
    }

    /// Walked project files directly in a folder (`""` is the root), in path order. Subfolders
    /// are stepped over, not walked through: a package folder at the top of a large module is
    /// asked for once per file of it.
    pub fn in_folder<'a>(&'a self, folder: &str) -> Vec<&'a str> {
        use std::ops::Bound;
        let start = if folder.is_empty() { String::new() } else { format!("{folder}/") };
        let mut out = Vec::new();
        let mut from = start.clone();
        loop {
            let mut skip_to = None;
            for (k, _) in self.walked.range::<str, _>((Bound::Included(from.as_str()), Bound::Unbounded)) {
                let Some(rest) = k.strip_prefix(start.as_str()) else { break };
                match rest.find('/') {
                    // `sub0` sorts right after every `sub/...` ('0' follows '/').
                    Some(i) => {
                        skip_to = Some(format!("{start}{}0", &rest[..i]));
                        break;
                    }
                    None => out.push(k.as_str()),
                }
            }
            match skip_to {
                Some(next) => from = next,
                None => return out,
            }
        }
    }

    /// Every walked project file, in path order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.walked.keys().map(String::as_str)
    }

    /// Every walked project file with its real path (`fix` writes to it).
    pub fn walked_files(&self) -> impl Iterator<Item = (&str, &std::path::Path)> {
        self.walked.iter().map(|(k, v)| (k.as_str(), v.as_path()))
    }

    /// The decoded text of a file the scan kept or the walk saw; read once, capped as the scan
    /// caps it.
    pub fn text(&self, display: &str) -> Option<Arc<str>> {
        if let Some(t) = self.read.lock().unwrap_or_else(|e| e.into_inner()).get(display) {
            return t.clone();
        }
        let text = self.load(display)?;
        self.read.lock().unwrap_or_else(|e| e.into_inner()).insert(display.to_string(), text.clone());
        text
    }

    /// The text as [`Texts::text`] gives it, without keeping a file not kept yet: the graph
    /// reads every file of a unit for its links, and holding all those texts cost gigabytes on
    /// large trees. A file a later stage needs is read again then.
    pub fn text_passing(&self, display: &str) -> Option<Arc<str>> {
        if let Some(t) = self.read.lock().unwrap_or_else(|e| e.into_inner()).get(display) {
            return t.clone();
        }
        self.load(display)?
    }

    fn load(&self, display: &str) -> Option<Option<Arc<str>>> {
        Some(self.read_real(self.walked.get(display)?, display))
    }

    /// One file through the scan's reader and cap, decoded as the scan decodes it.
    fn read_real(&self, real: &std::path::Path, display: &str) -> Option<Arc<str>> {
        let mut bytes = Vec::new();
        let loaded = source::read(real, &|| display.to_string(), self.max_file_size, &mut bytes);
        loaded.content.map(|c| c.into_text(&bytes))
    }
}

/// A fixed hash of a display path (the same in every run; only ever compared in memory).
fn path_hash(path: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    path.hash(&mut h);
    h.finish()
}

/// File names that make their folder a project root (`project::consumer` and fix's consumer
/// use this list; it lives here because the scan must not depend on the project model).
pub const MANIFESTS: &[&str] = &[
    "go.mod",
    "package.json",
    "pyproject.toml",
    "setup.py",
    "requirements.txt",
    "Cargo.toml",
    "composer.json",
    "Gemfile",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Chart.yaml",
];

/// Whether the project model may need a file: code the graph follows imports through, build
/// manifests that mark a deployment unit, CI, container and chart config, and the config files
/// a variable may be set or read in (INI, TOML such as `wrangler.toml`, JSON, conf, systemd
/// units, make and task files), which `fix` renames with the key.
pub fn is_project_file(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "setup.cfg",
        "Dockerfile",
        ".env",
        ".gitlab-ci.yml",
        ".envrc",
        "Makefile",
        "GNUmakefile",
        "Justfile",
        "Procfile",
        "Jenkinsfile",
    ];
    const EXTS: &[&str] = &[
        "py", "js", "mjs", "cjs", "ts", "mts", "tsx", "go", "php", "rb", "rs", "tf", "tfvars", "yml", "yaml", "sh",
        "bash", "env", "csproj",
    ];
    // Config files a variable is set or read in, for `fix`'s renames.
    const CONFIG_EXTS: &[&str] = &["ini", "cfg", "conf", "toml", "json", "properties", "service", "mk", "hcl", "ps1"];
    MANIFESTS.contains(&name)
        || NAMES.contains(&name)
        || name.rsplit_once('.').is_some_and(|(_, ext)| EXTS.contains(&ext) || CONFIG_EXTS.contains(&ext))
        || name.starts_with(".env.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_lists_only_that_folder() {
        let mut t = Texts::new(1024);
        for p in ["a/x.py", "a/b/y.py", "ab/z.py", "c.py"] {
            t.walked(p.into(), PathBuf::from(p));
        }
        assert_eq!(t.under("a").collect::<Vec<_>>(), vec!["a/b/y.py", "a/x.py"]);
        assert_eq!(t.under("").count(), 4);
    }

    #[test]
    fn in_folder_lists_direct_files_only() {
        let mut t = Texts::new(1024);
        for p in ["a/x.py", "a/b/y.py", "a/b/c/z.py", "a/b.txt", "a/b-c.py", "a/c.py", "ab/z.py", "c.py", "a/b0.py"] {
            t.walked(p.into(), PathBuf::from(p));
        }
        assert_eq!(t.in_folder("a"), vec!["a/b-c.py", "a/b.txt", "a/b0.py", "a/c.py", "a/x.py"]);
        assert_eq!(t.in_folder(""), vec!["c.py"]);
        assert_eq!(t.in_folder("a/b"), vec!["a/b/y.py"]);
        assert!(t.in_folder("nothing").is_empty());
        for folder in ["a", "", "a/b", "a/b/c", "ab"] {
            let slow: Vec<&str> =
                t.under(folder).filter(|f| crate::project::consumer::folder_of(f) == folder).collect();
            assert_eq!(t.in_folder(folder), slow, "{folder:?}");
        }
    }

    #[test]
    fn project_files() {
        assert!(is_project_file("go.mod") && is_project_file("client.py") && is_project_file(".env.local"));
        assert!(is_project_file("wrangler.toml") && is_project_file("cloudflare.ini") && is_project_file("Makefile"));
        assert!(!is_project_file("logo.png") && !is_project_file("README.md"));
    }
}
