//! Images: the files of the tree a Dockerfile's image runs, and the Dockerfile a compose
//! service builds.
//!
//! `ENTRYPOINT` and `CMD` name paths inside the image (`/usr/local/bin/entrypoint.sh`,
//! `python -m app`, `node src/worker.js` under `WORKDIR /srv`); `COPY`/`ADD` say where those
//! came from in the build context. The context is the Dockerfile's folder, or the nearest
//! folder above it where the copied source exists (a `docker/Dockerfile` built from the
//! repository root). A path copied from another stage (`--from=build`) is a build output,
//! not a file of the tree, and links nowhere.

use super::consumer::folder_of;
use super::facts::{join, normalise};
use crate::scan::texts::Texts;

/// `COPY src... dest`: (sources, destination in the image, whether dest is a folder).
struct Copy {
    srcs: Vec<String>,
    dest: String,
    dir: bool,
}

/// One instruction per logical line (continuations joined), keyword upper-cased.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') && pending.is_empty() {
            continue;
        }
        if let Some(cont) = t.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(t);
        let full = std::mem::take(&mut pending);
        if let Some((kw, rest)) = full.split_once(char::is_whitespace) {
            out.push((kw.to_ascii_uppercase(), rest.trim().to_string()));
        }
    }
    out
}

/// Exec form (`["a", "b"]`) or shell form (words).
fn words(args: &str) -> Vec<String> {
    if args.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(args) {
            return v;
        }
    }
    args.split_whitespace().map(|w| w.trim_matches(['"', '\'']).to_string()).collect()
}

fn absolute(workdir: &str, p: &str) -> String {
    if p.starts_with('/') {
        normalise(p)
    } else {
        normalise(&format!("{workdir}/{p}"))
    }
}

/// The files of the tree the image of `path` (a Dockerfile) runs first.
pub fn entry_files(path: &str, text: &str, texts: &Texts) -> Vec<String> {
    let mut workdir = String::from("/");
    let mut copies: Vec<Copy> = Vec::new();
    let (mut entrypoint, mut cmd): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    // The last stage's instructions decide what runs; copies are kept across stages (a
    // `--from` copy is dropped, a plain one is from the context whatever the stage).
    let mut run_dir = String::from("/");
    for (kw, args) in instructions(text) {
        match kw.as_str() {
            "FROM" => {
                workdir = "/".into();
                (entrypoint, cmd) = (Vec::new(), Vec::new());
            }
            "WORKDIR" => workdir = absolute(&workdir, args.trim_matches(['"', '\''])),
            "COPY" | "ADD" => {
                let w = words(&args);
                if w.iter().any(|a| a.starts_with("--from")) {
                    continue;
                }
                let w: Vec<String> = w.into_iter().filter(|a| !a.starts_with("--")).collect();
                let Some((dest, srcs)) = w.split_last() else { continue };
                let dir = dest.ends_with('/') || dest == "." || srcs.len() > 1;
                copies.push(Copy { srcs: srcs.to_vec(), dest: absolute(&workdir, dest), dir });
            }
            "ENTRYPOINT" => {
                entrypoint = words(&args);
                run_dir = workdir.clone();
            }
            "CMD" => {
                cmd = words(&args);
                run_dir = workdir.clone();
            }
            _ => {}
        }
    }
    let argv: Vec<String> = entrypoint.into_iter().chain(cmd).collect();
    let mut out = Vec::new();
    let mut module = false;
    for a in &argv {
        if module {
            module = false;
            let base = absolute(&run_dir, &a.replace('.', "/"));
            for p in [format!("{base}.py"), format!("{base}/__main__.py")] {
                out.extend(from_context(path, &copies, &p, texts));
            }
            continue;
        }
        if a == "-m" {
            module = true;
            continue;
        }
        if a.starts_with('-') || a.contains('$') || a.contains('=') {
            continue;
        }
        // A bare command: a file copied under that name onto the PATH.
        let in_image = if a.contains('/') || a.contains('.') {
            absolute(&run_dir, a)
        } else {
            match copies.iter().rev().find(|c| !c.dir && c.dest.rsplit('/').next() == Some(a.as_str())) {
                Some(c) => c.dest.clone(),
                None => continue,
            }
        };
        out.extend(from_context(path, &copies, &in_image, texts));
    }
    out.sort();
    out.dedup();
    out
}

/// `path` relative to the folder `dir` (both normalised, so `/` is the empty folder).
fn under<'a>(dir: &str, path: &'a str) -> Option<&'a str> {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// The file of the tree an in-image path was copied from.
fn from_context(dockerfile: &str, copies: &[Copy], in_image: &str, texts: &Texts) -> Option<String> {
    for c in copies.iter().rev() {
        let rel: Vec<String> = if !c.dir && c.dest == in_image {
            c.srcs.clone()
        } else if let Some(rest) = under(&c.dest, in_image) {
            // Into a folder: a copied folder's content, or a file copied by its name.
            c.srcs
                .iter()
                .flat_map(|s| {
                    let s = s.trim_end_matches('/');
                    let named = (s.rsplit('/').next() == Some(rest)).then(|| s.to_string());
                    named.into_iter().chain(std::iter::once(join(if s == "." { "" } else { s }, rest)))
                })
                .collect()
        } else if c.dir && c.dest.trim_end_matches('/') == in_image.trim_end_matches('/') {
            Vec::new()
        } else {
            continue;
        };
        // The context: the Dockerfile's folder, else the nearest folder above that has it.
        let mut at = folder_of(dockerfile);
        loop {
            for r in &rel {
                let p = normalise(&join(at, r));
                if texts.exists(&p) && p != dockerfile {
                    return Some(p);
                }
            }
            if at.is_empty() {
                break;
            }
            at = folder_of(at);
        }
    }
    None
}

/// The Dockerfiles a compose file builds (`build: ./app`, `build: {context, dockerfile}`).
pub fn compose_builds(path: &str, text: &str, texts: &Texts) -> Vec<String> {
    let dir = folder_of(path);
    let mut out = Vec::new();
    let mut context: Option<(String, String)> = None;
    let flush = |ctx: Option<(String, String)>, out: &mut Vec<String>| {
        if let Some((c, f)) = ctx {
            let p = normalise(&join(&normalise(&join(dir, &c)), &f));
            if texts.exists(&p) {
                out.push(p);
            }
        }
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("build:") {
            flush(context.take(), &mut out);
            let v = v.trim().trim_matches(['"', '\'']);
            context = Some((if v.is_empty() { ".".into() } else { v.into() }, "Dockerfile".into()));
        } else if let (Some(v), Some((c, _))) = (t.strip_prefix("context:"), context.as_mut()) {
            *c = v.trim().trim_matches(['"', '\'']).to_string();
        } else if let (Some(v), Some((_, f))) = (t.strip_prefix("dockerfile:"), context.as_mut()) {
            *f = v.trim().trim_matches(['"', '\'']).to_string();
        }
    }
    flush(context.take(), &mut out);
    out.sort();
    out.dedup();
    out
}

/// The Dockerfile the compose service holding all of `lines` builds: `None` when the lines
/// are in several services, or in one that runs a ready-made image.
pub fn compose_build_of(path: &str, text: &str, texts: &Texts, lines: &[usize]) -> Option<String> {
    // Service blocks: (first line, text) for each key two spaces under `services:`.
    let mut services: Vec<(usize, String)> = Vec::new();
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            if let Some((_, b)) = services.last_mut() {
                b.push('\n');
            }
            continue;
        }
        if indent == 0 {
            inside = t == "services:";
            services.push((i + 1, String::new()));
            continue;
        }
        if inside && indent == 2 && t.ends_with(':') {
            services.push((i + 1, String::new()));
        }
        if let Some((_, b)) = services.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    let block_of = |l: usize| services.iter().rposition(|(start, _)| *start <= l);
    let first = block_of(*lines.first()?)?;
    if lines.iter().any(|l| block_of(*l) != Some(first)) {
        return None;
    }
    match compose_builds(path, &services[first].1, texts).as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_join_continuations_and_words_read_both_forms() {
        let i = instructions("FROM alpine\nRUN apk add \\\n  curl\nENTRYPOINT [\"/bin/run\", \"-v\"]\n");
        assert_eq!(i[1], ("RUN".to_string(), "apk add  curl".to_string()));
        assert_eq!(words(&i[2].1), ["/bin/run", "-v"]);
        assert_eq!(words("node src/a.js"), ["node", "src/a.js"]);
    }

    fn tree(paths: &[&str]) -> Texts {
        let mut t = Texts::new(1024);
        for p in paths {
            t.walked(p.to_string(), std::path::PathBuf::from(p));
        }
        t
    }

    #[test]
    fn entrypoints_map_back_through_copies() {
        let t = tree(&[
            "svc/Dockerfile",
            "svc/src/warden/__main__.py",
            "svc/run.sh",
            "svc/main.py",
            "docker/Dockerfile",
            "docker/start.sh",
        ]);
        let flat = "FROM python:3.12\nCOPY . .\nCMD [\"python\", \"main.py\"]\n";
        assert_eq!(entry_files("svc/Dockerfile", flat, &t), ["svc/main.py"]);
        let py = "FROM python:3.12\nWORKDIR /app\nCOPY src/ ./\nENTRYPOINT [\"python\", \"-m\", \"warden\"]\n";
        assert_eq!(entry_files("svc/Dockerfile", py, &t), ["svc/src/warden/__main__.py"]);
        let path = "FROM alpine\nCOPY run.sh /usr/local/bin/run\nENTRYPOINT [\"run\", \"--loop\"]\n";
        assert_eq!(entry_files("svc/Dockerfile", path, &t), ["svc/run.sh"]);
        // Built from the repository root: the source is found above the Dockerfile's folder.
        let root = "FROM alpine\nCOPY docker/start.sh /start.sh\nCMD /start.sh\n";
        assert_eq!(entry_files("docker/Dockerfile", root, &t), ["docker/start.sh"]);
        // A binary from another stage is no file of the tree.
        let go = "FROM golang AS b\nCOPY . .\nRUN go build -o /out/app\nFROM scratch\nCOPY --from=b /out/app /app\nENTRYPOINT [\"/app\"]\n";
        assert!(entry_files("svc/Dockerfile", go, &t).is_empty());
    }

    #[test]
    fn compose_services_name_the_dockerfile_they_build() {
        let t = tree(&["backup/Dockerfile", "web/Containerfile"]);
        let c = "services:\n  web:\n    image: nginx\n    environment:\n      K: v\n  backup:\n    build:\n      context: ./backup\n    environment:\n      CF_API_KEY: x\n";
        assert_eq!(compose_builds("docker-compose.yml", c, &t), ["backup/Dockerfile"]);
        assert_eq!(compose_build_of("docker-compose.yml", c, &t, &[10]).as_deref(), Some("backup/Dockerfile"));
        assert_eq!(compose_build_of("docker-compose.yml", c, &t, &[5]), None);
        assert_eq!(compose_build_of("docker-compose.yml", c, &t, &[5, 10]), None);
    }
}
