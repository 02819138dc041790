//! Kubernetes and Helm: a key stored in a Secret reaches a container as an env var, and the
//! container runs an image built from this repository.
//!
//! - A key site in a Secret's `data`/`stringData` key `K` (or in a chart's `values.yaml` at a
//!   path that a template's Secret data key `K` reads, `{{ .Values.secret.apiKey | b64enc }}`)
//!   is the env var a workload of the same unit exposes it as: `env[].valueFrom.secretKeyRef`
//!   `{name: <the Secret>, key: K}` names it, `envFrom[].secretRef` keeps `K` as the name.
//! - A workload (a Deployment, Job, ... with containers) belongs to the unit of the image it
//!   runs when that image is built here: the one Dockerfile found nearest above the manifest
//!   (or, with several, the one in a folder named like the image). The container's code is
//!   the consumer, so the Secret, the workload env and the code's reads are one credential.
//!
//! - A key in a source of a Kustomize `secretGenerator` is a key of the Secret it generates
//!   (`kustomize.rs`).
//!
//! Manifests are read line by line by indentation, so Helm templates (not YAML) work too.

use super::consumer::{folder_of, Units};
use crate::scan::texts::Texts;

/// One `key: value` line of a YAML document (a list item's first key counts as nested).
#[derive(Debug)]
struct Entry {
    /// 1-based line number.
    line: usize,
    /// Keys from the document root, `env.name` style (list items add no segment).
    path: String,
    value: String,
}

fn entries(doc: &str, first_line: usize) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (i, raw) in doc.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("{{") {
            continue;
        }
        let mut indent = raw.len() - trimmed.len();
        let mut rest = trimmed;
        while let Some(r) = rest.strip_prefix("- ") {
            indent += 2;
            rest = r.trim_start();
        }
        let Some((key, value)) = rest.split_once(':') else { continue };
        let key = key.trim().trim_matches(['"', '\'']);
        if key.is_empty() || key.contains(' ') && !key.starts_with("{{") {
            continue;
        }
        while stack.last().is_some_and(|(d, _)| *d >= indent) {
            stack.pop();
        }
        stack.push((indent, key.to_string()));
        let path = stack.iter().map(|(_, k)| k.as_str()).collect::<Vec<_>>().join(".");
        out.push(Entry { line: first_line + i, path, value: unquote(value) });
    }
    out
}

/// A YAML scalar without its trailing comment and quotes.
pub(super) fn unquote(v: &str) -> String {
    let v = v.split(" #").next().unwrap_or(v).trim();
    v.trim_matches(['"', '\'']).trim().to_string()
}

/// The documents of a manifest, with the line each starts on.
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" {
            docs.push((i + 2, String::new()));
        } else if let Some((_, d)) = docs.last_mut() {
            d.push_str(line);
            d.push('\n');
        }
    }
    docs
}

fn kind(es: &[Entry]) -> Option<&str> {
    es.iter().find(|e| e.path == "kind").map(|e| e.value.as_str())
}

fn name(es: &[Entry]) -> Option<&str> {
    es.iter().find(|e| e.path == "metadata.name").map(|e| e.value.as_str())
}

/// A Secret data key: (Secret name, key, its value as written, line).
fn secret_keys(text: &str) -> Vec<(String, String, String, usize)> {
    let mut out = Vec::new();
    for (start, doc) in documents(text) {
        let es = entries(&doc, start);
        if kind(&es) != Some("Secret") {
            continue;
        }
        let Some(secret) = name(&es) else { continue };
        for e in &es {
            let key = e.path.strip_prefix("data.").or_else(|| e.path.strip_prefix("stringData."));
            if let Some(key) = key.filter(|k| !k.contains('.')) {
                out.push((secret.to_string(), key.to_string(), e.value.clone(), e.line));
            }
        }
    }
    out
}

/// How a workload manifest exposes Secret keys: env var name for (Secret, key), and the
/// Secrets loaded whole through `envFrom`.
#[derive(Debug, Default)]
struct EnvRefs {
    keyed: Vec<(String, String, String)>,
    /// Line of a `secretKeyRef.key` -> the env var it fills.
    key_lines: Vec<(usize, String)>,
    whole: Vec<String>,
    has_containers: bool,
}

fn env_refs(text: &str) -> EnvRefs {
    let mut refs = EnvRefs::default();
    for (start, doc) in documents(text) {
        let es = entries(&doc, start);
        refs.has_containers |= es.iter().any(|e| e.path.ends_with("containers.image"));
        let (mut env, mut secret, mut key) = (None::<String>, None::<String>, None::<String>);
        for e in &es {
            if e.path.ends_with(".env.name") {
                (env, secret, key) = (Some(e.value.clone()), None, None);
            } else if e.path.ends_with(".env.valueFrom.secretKeyRef.name") {
                secret = Some(e.value.clone());
            } else if e.path.ends_with(".env.valueFrom.secretKeyRef.key") {
                key = Some(e.value.clone());
                if let Some(n) = &env {
                    refs.key_lines.push((e.line, n.clone()));
                }
            } else if e.path.ends_with(".envFrom.secretRef.name") {
                refs.whole.push(e.value.clone());
            }
            if let (Some(n), Some(s), Some(k)) = (&env, &secret, &key) {
                refs.keyed.push((s.clone(), k.clone(), n.clone()));
                (env, secret, key) = (None, None, None);
            }
        }
    }
    refs
}

/// The env var and the workload manifest a key site in a Secret or a chart's values feeds:
/// `None` when the site is neither, or no workload of its unit reads that key.
pub fn env_of(path: &str, line: usize, texts: &Texts, units: &Units) -> Option<(String, String)> {
    // A source of a Kustomize `secretGenerator` (an env file, a file, a literal line).
    let generated = super::kustomize::secret_key_of(path, line, texts);
    if generated.is_none() && !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return None;
    }
    let text = texts.text(path)?;
    // The `key:` of a workload's `secretKeyRef` names the Secret's key, not a variable of its
    // own (`key: CF_API_KEY` under `name: CLOUDFLARE_API_KEY`): it is the env var it fills.
    if let Some((_, env)) = env_refs(&text).key_lines.into_iter().find(|(l, _)| *l == line) {
        return Some((env, path.to_string()));
    }
    let mut targets: Vec<(String, String)> =
        secret_keys(&text).into_iter().filter(|(_, _, _, l)| *l == line).map(|(s, k, _, _)| (s, k)).collect();
    targets.extend(generated);
    let dir = folder_of(path);
    let chart = path.ends_with("/values.yaml") || path == "values.yaml";
    if targets.is_empty() && chart && texts.exists(&join(dir, "Chart.yaml")) {
        let values = entries(&text, 1);
        let at = values.iter().find(|e| e.line == line)?;
        let needle = format!(".Values.{}", at.path);
        for t in texts.under(&join(dir, "templates")).filter(|t| is_yaml(t)) {
            let Some(tt) = texts.text(t) else { continue };
            for (s, k, v, _) in secret_keys(&tt) {
                let Some(i) = v.find(&needle) else { continue };
                let next = v[i + needle.len()..].chars().next();
                if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    targets.push((s, k));
                }
            }
        }
    }
    if targets.is_empty() {
        return None;
    }
    // Workloads of the same unit: the folder for a plain manifest, the chart's templates.
    let unit = units.consumer_of(path);
    let scope = if chart { join(dir, "templates") } else { dir.to_string() };
    let mut candidates: Vec<&str> = texts.under(&scope).filter(|f| is_yaml(f)).collect();
    if !chart {
        let unit_dir = if unit.0 == "." { "" } else { unit.0.as_str() };
        candidates.extend(texts.under(unit_dir).filter(|f| is_yaml(f) && units.consumer_of(f) == unit));
    }
    candidates.sort_unstable();
    candidates.dedup();
    for w in candidates.into_iter().take(super::graph::MAX_REACH) {
        let Some(wt) = texts.text(w) else { continue };
        let refs = env_refs(&wt);
        for (s, k) in &targets {
            if let Some((_, _, env)) = refs.keyed.iter().find(|(rs, rk, _)| rs == s && rk == k) {
                return Some((env.clone(), w.to_string()));
            }
            if refs.whole.iter().any(|rs| rs == s) {
                return Some((k.clone(), w.to_string()));
            }
        }
    }
    None
}

/// Whether a manifest runs containers (a Deployment, Job, Pod, ... or a template of one).
pub fn is_workload(text: &str) -> bool {
    env_refs(text).has_containers
}

/// The image a workload manifest names in its first container (`repo/name:tag` -> `name`).
fn image_name(text: &str) -> Option<String> {
    for (start, doc) in documents(text) {
        if let Some(e) = entries(&doc, start).into_iter().find(|e| e.path.ends_with("containers.image")) {
            let image = e.value.rsplit('/').next().unwrap_or(&e.value);
            let image = image.split([':', '@']).next().unwrap_or(image);
            return Some(image.to_string());
        }
    }
    None
}

/// The Dockerfile that builds the image a workload (or compose service) runs: searching up
/// from the manifest's folder, the first folder with any Dockerfile below it decides; one
/// Dockerfile there is it, several need one in a folder named like the image.
pub fn dockerfile_for(path: &str, text: &str, texts: &Texts) -> Option<String> {
    let image = image_name(text);
    let mut at = folder_of(path);
    loop {
        let found: Vec<&str> = texts.under(at).filter(|f| is_dockerfile(f)).take(64).collect();
        match found.as_slice() {
            [] => {}
            [one] => return Some(one.to_string()),
            many => {
                let named = |f: &&&str| image.as_deref().is_some_and(|i| folder_of(f).rsplit('/').next() == Some(i));
                let hits: Vec<&&str> = many.iter().filter(named).collect();
                return (hits.len() == 1).then(|| hits[0].to_string());
            }
        }
        if at.is_empty() {
            return None;
        }
        at = folder_of(at);
    }
}

pub fn is_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Dockerfile" || name.ends_with(".Dockerfile") || name.starts_with("Dockerfile.")
}

fn is_yaml(p: &str) -> bool {
    p.ends_with(".yaml") || p.ends_with(".yml")
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web:1.2\n          env:\n            - name: CF_API_KEY\n              valueFrom:\n                secretKeyRef:\n                  key: api-key\n                  name: cf\n            - name: OTHER\n              value: x\n          envFrom:\n            - secretRef:\n                name: cf-env\n";

    #[test]
    fn workloads_name_the_env_var_of_each_secret_key() {
        let r = env_refs(DEPLOY);
        assert_eq!(r.keyed, [("cf".to_string(), "api-key".to_string(), "CF_API_KEY".to_string())]);
        assert_eq!(r.whole, ["cf-env"]);
        assert!(r.has_containers);
        assert_eq!(image_name(DEPLOY).as_deref(), Some("web"));
    }

    #[test]
    fn secrets_list_their_data_keys_with_lines() {
        let text = "kind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: \"cf\"\nstringData:\n  api-key: abc\n  email: ops@example.org\n";
        let keys = secret_keys(text);
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert_eq!((keys[0].0.as_str(), keys[0].1.as_str(), keys[0].3), ("cf", "api-key", 12));
    }
}
