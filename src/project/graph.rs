//! The project graph: links between files ([`super::facts`]), extracted lazily and once per
//! file, only for files a credential reaches, so a tree without findings costs nothing here.
//!
//! From a credential's key files the search follows links *out* of any reached file (an
//! import, a child module, a script a workflow runs: the code that receives the key) and
//! links *into* a key file only from files of the credential's own unit (the module that
//! imports the config the key is read in). A library shared by two units is thus reached by
//! both, but one unit never pulls in another unit's callers: units join only through the
//! links their own files make.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use super::consumer::{Consumer, Units};
use super::facts::{self, Link};
use crate::scan::ScanResult;

/// Files reached past this many are not followed (one credential on a huge unit).
pub(crate) const MAX_REACH: usize = 4096;

/// The files of one unit linking to each file, with the link kind.
#[derive(Debug, Default)]
struct Importers {
    /// File -> files linking to it.
    files: BTreeMap<String, Vec<(String, &'static str)>>,
    /// Go package folder -> files linking to the whole package (each of its files).
    packages: BTreeMap<String, Vec<(String, &'static str)>>,
}

pub struct Graph<'a> {
    result: &'a ScanResult,
    /// The threads a unit's files are linked on (`--threads`).
    threads: usize,
    /// File -> its outgoing links, extracted once (shared: a Go file links to every file of
    /// its package, and a package of hundreds of files is asked for each of them).
    out: Mutex<BTreeMap<String, Arc<[Link]>>>,
    /// Unit -> (file -> files of that unit linking to it), built the first time the unit is
    /// asked (its files are linked on the command's threads meanwhile).
    into: Mutex<BTreeMap<Consumer, Arc<OnceLock<Importers>>>>,
    /// Import resolutions shared by the files linked.
    memo: facts::Memo,
}

impl<'a> Graph<'a> {
    pub fn build(result: &'a ScanResult, _units: &Units, threads: usize) -> Graph<'a> {
        Graph { result, threads, out: Default::default(), into: Default::default(), memo: Default::default() }
    }

    fn links(&self, path: &str) -> Arc<[Link]> {
        if let Some(l) = self.out.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
            return l.clone();
        }
        let links: Arc<[Link]> = match self.result.texts.text_passing(path) {
            Some(text) => facts::links(path, &text, &self.result.texts, &self.memo).into(),
            None => Arc::from([]),
        };
        self.out.lock().unwrap_or_else(|e| e.into_inner()).insert(path.to_string(), links.clone());
        links
    }

    /// The files of a Go package (see [`facts::package_files`]).
    fn package(&self, folder: &str) -> Arc<[String]> {
        facts::package_files(&self.result.texts, &self.memo, folder)
    }

    /// The files a link reaches, with its kind: the file itself, or each file of a package.
    /// `packages` holds the package lists the answer borrows from (one per package link).
    /// A package in `expanded` was listed by this search already (its files are all seen), so
    /// it is not listed again: a package of n files is linked from each of them.
    fn targets<'l>(
        &self,
        from: &str,
        links: &'l [Link],
        packages: &'l mut Vec<Arc<[String]>>,
        expanded: &mut HashSet<String>,
    ) -> Vec<(&'l str, &'static str)> {
        let fresh: Vec<&Link> = links.iter().filter(|l| !l.package || expanded.insert(l.to.clone())).collect();
        packages.extend(fresh.iter().filter(|l| l.package).map(|l| self.package(&l.to)));
        let mut lists = packages.iter();
        let mut out: Vec<(&'l str, &'static str)> = Vec::new();
        for l in fresh {
            if l.package {
                let files = lists.next().expect("one package list per package link");
                out.extend(files.iter().filter(|f| *f != from).map(|f| (f.as_str(), l.kind)));
            } else {
                out.push((l.to.as_str(), l.kind));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Reverse links among the files of one unit, built the first time the unit is asked.
    pub(crate) fn importers(&self, unit: &Consumer, units: &Units, path: &str) -> Vec<(String, &'static str)> {
        let cell = self.into.lock().unwrap_or_else(|e| e.into_inner()).entry(unit.clone()).or_default().clone();
        Self::importers_of(cell.get_or_init(|| self.unit_importers(unit, units)), path)
    }

    /// The files of a unit whose links into each other are followed (a workflow has none).
    fn members(&self, unit: &Consumer, units: &Units) -> Vec<String> {
        let folder = if unit.0 == "." { "" } else { unit.0.as_str() };
        if crate::project::consumer::is_workflow(folder) {
            return Vec::new();
        }
        self.result
            .texts
            .under(folder)
            .filter(|f| units.consumer_of(f) == *unit)
            .take(MAX_REACH)
            .map(str::to_string)
            .collect()
    }

    fn unit_importers(&self, unit: &Consumer, units: &Units) -> Importers {
        let members = self.members(unit, units);
        // Reading and parsing a unit's files for their links is most of `plan` on a large
        // unit: done on the command's threads, then gathered in the members' order.
        crate::parallel::map(self.threads, &members, 64, |m| self.links(m));
        self.gather(members)
    }

    /// The importer map of a unit whose members' links are extracted already.
    fn gather(&self, members: Vec<String>) -> Importers {
        let mut map = Importers::default();
        for m in members {
            for l in self.links(&m).iter() {
                let to = if l.package { &mut map.packages } else { &mut map.files };
                to.entry(l.to.clone()).or_default().push((m.clone(), l.kind));
            }
        }
        map
    }

    /// Builds the importer maps of `wanted` (the units of the key files, which the search asks
    /// for first) with all their members linked in one go on the command's threads: one unit
    /// at a time left the threads idle at each small unit's end, and ran units of fewer than
    /// 64 files on one thread.
    pub fn prepare(&self, wanted: &BTreeSet<Consumer>, units: &Units) {
        let lists: Vec<(&Consumer, Vec<String>)> = wanted.iter().map(|u| (u, self.members(u, units))).collect();
        let all: Vec<&str> = lists.iter().flat_map(|(_, m)| m.iter().map(String::as_str)).collect();
        crate::parallel::map(self.threads, &all, 64, |m| self.links(m));
        for (unit, members) in lists {
            let map = self.gather(members);
            let cell = self.into.lock().unwrap_or_else(|e| e.into_inner()).entry(unit.clone()).or_default().clone();
            let _ = cell.set(map);
        }
    }

    /// The importer maps of the units searched, for the files' callers after the search.
    pub fn into_importers(self) -> ImporterIndex {
        let into = self.into.into_inner().unwrap_or_else(|e| e.into_inner());
        let units =
            into.into_iter().filter_map(|(unit, cell)| Some((unit, Arc::into_inner(cell)?.into_inner()?))).collect();
        ImporterIndex { units }
    }

    /// The importers of one file: those linking to it and those linking to its package, in
    /// the order of the files they are in.
    fn importers_of(map: &Importers, path: &str) -> Vec<(String, &'static str)> {
        let mut found = map.files.get(path).cloned().unwrap_or_default();
        if facts::is_go_source(path) {
            let package = map.packages.get(crate::project::consumer::folder_of(path));
            found.extend(package.into_iter().flatten().filter(|(from, _)| from != path).cloned());
            found.sort();
            found.dedup();
        }
        found
    }

    /// The files a credential's calls are searched in, starting from its key files, and for
    /// each file reached through a link, why.
    pub fn reach(&self, starts: &BTreeSet<String>, units: &Units) -> (BTreeSet<String>, BTreeMap<String, String>) {
        let mut seen: BTreeSet<String> = starts.clone();
        let mut why = BTreeMap::new();
        // A file reached through a link into a key file (the module that imports the config)
        // is searched but not followed further: its other imports serve other purposes. A
        // compose file that loads the key's `.env` is the exception: it runs the consumer.
        let mut queue: VecDeque<(String, bool)> = starts.iter().map(|s| (s.clone(), true)).collect();
        let own: BTreeSet<Consumer> = starts.iter().map(|s| units.consumer_of(s)).collect();
        let (mut followed, mut unfollowed): (BTreeSet<String>, BTreeSet<String>) = Default::default();
        let mut expanded = HashSet::new();
        while let Some((file, follow)) = queue.pop_front() {
            if seen.len() >= MAX_REACH {
                break;
            }
            if !follow {
                continue;
            }
            if !followed.insert(file.clone()) {
                continue;
            }
            let links = self.links(&file);
            let mut packages = Vec::new();
            // Why each target is reached, formatted only for the targets not seen before.
            let mut next: Vec<(&str, &'static str, Via, bool)> = self
                .targets(&file, &links, &mut packages, &mut expanded)
                .into_iter()
                .map(|(to, kind)| (to, kind, Via::From, true))
                .collect();
            let unit = units.consumer_of(&file);
            // Only into the key files themselves: following links into every reached file
            // would join two programs of one unit that share a helper package.
            let importers = if starts.contains(&file) && own.contains(&unit) {
                self.importers(&unit, units, &file)
            } else {
                Vec::new()
            };
            // A compose file that loads the `.env` is followed on to what it runs.
            next.extend(
                importers.iter().map(|(from, kind)| (from.as_str(), *kind, Via::Of, *kind == "compose env_file")),
            );
            for (to, kind, via, follow) in next {
                if !seen.contains(to) {
                    seen.insert(to.to_string());
                    why.insert(to.to_string(), via.reason(kind, &file));
                    queue.push_back((to.to_string(), follow));
                } else if follow && unfollowed.contains(to) {
                    // First reached as an importer (searched only), now through a link that
                    // runs it (an image's entrypoint): follow it after all.
                    queue.push_back((to.to_string(), true));
                }
                if follow {
                    unfollowed.remove(to);
                } else if !followed.contains(to) {
                    unfollowed.insert(to.to_string());
                }
            }
        }
        (seen, why)
    }
}

/// Who imports a file, among the files of its unit, for the units the search linked.
#[derive(Debug, Default)]
pub struct ImporterIndex {
    units: BTreeMap<Consumer, Importers>,
}

impl ImporterIndex {
    /// The files of `unit` linking to `path` (or to its Go package), in path order; none when
    /// the search never linked that unit.
    pub fn of(&self, unit: &Consumer, path: &str) -> Vec<String> {
        self.units
            .get(unit)
            .map(|m| Graph::importers_of(m, path).into_iter().map(|(f, _)| f).collect())
            .unwrap_or_default()
    }
}

/// Which way a reached file is linked to the file it was reached from, for its reason.
#[derive(Clone, Copy)]
enum Via {
    /// A link out of the file: `import from a.py`.
    From,
    /// A link into a key file: `import of config.py`.
    Of,
}

impl Via {
    fn reason(self, kind: &str, file: &str) -> String {
        match self {
            Via::From => format!("{kind} from {file}"),
            Via::Of => format!("{kind} of {file}"),
        }
    }
}
