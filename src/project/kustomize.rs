//! Kustomize: a `secretGenerator` of `kustomization.yaml` makes a Secret from env files
//! (`envs`), files (`files`) or literals (`literals`) beside it, and the workloads the
//! kustomization lists read that Secret by the generator's name (Kustomize rewrites their
//! references to the hashed name it generates). A key site in such a source is thus a Secret
//! data key, which [`super::kube`] follows to the env var a workload exposes it as.

use super::consumer::folder_of;
use super::facts::join;
use super::kube::unquote;
use crate::scan::texts::Texts;

const NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One `secretGenerator` entry.
#[derive(Debug, Default, PartialEq)]
struct Generator {
    name: String,
    /// `envs` (and the older `env`): files of `KEY=value` lines, relative to the kustomization.
    envs: Vec<String>,
    /// `files`: `path` (the key is the file name) or `key=path`.
    files: Vec<String>,
    /// `literals`: `KEY=value`, with the 1-based line it is on.
    literals: Vec<(String, usize)>,
}

/// The `secretGenerator` entries of a kustomization, read by indentation like the manifests.
fn generators(text: &str) -> Vec<Generator> {
    let mut out = Vec::new();
    // The indent of `secretGenerator:`, of its items' dashes, and the open list (key, indent).
    let (mut block, mut item_indent, mut list): (Option<usize>, Option<usize>, Option<(String, usize)>) =
        (None, None, None);
    let mut current: Option<Generator> = None;
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let indent = raw.len() - t.len();
        let dash = t == "-" || t.starts_with("- ");
        if let Some(b) = block {
            if indent < b || (indent == b && !dash) {
                out.extend(current.take());
                (block, item_indent, list) = (None, None, None);
            }
        }
        let Some(_) = block else {
            if t.trim_end() == "secretGenerator:" {
                block = Some(indent);
            }
            continue;
        };
        let new_item = dash && item_indent.is_none_or(|d| d == indent);
        if new_item {
            item_indent = Some(indent);
            out.extend(current.replace(Generator::default()));
            list = None;
        }
        let rest = if dash { t[1..].trim_start() } else { t };
        match (&list, rest.split_once(':')) {
            // A value of the open list: `- secrets.env`, `- KEY=value`.
            (Some((key, at)), _) if dash && !new_item && indent >= *at => {
                if let Some(g) = current.as_mut() {
                    push(g, key, unquote(rest), i + 1);
                }
            }
            (_, Some((key, value))) => {
                let (key, value) = (key.trim(), value.trim());
                let g = current.get_or_insert_with(Generator::default);
                if key == "name" {
                    g.name = unquote(value);
                    list = None;
                } else if value.is_empty() {
                    list = Some((key.to_string(), indent + if new_item { 2 } else { 0 }));
                } else if let Some(inline) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                    for v in inline.split(',').map(unquote).filter(|v| !v.is_empty()) {
                        push(g, key, v, i + 1);
                    }
                    list = None;
                } else {
                    list = None;
                }
            }
            _ => {}
        }
    }
    out.extend(current);
    out.retain(|g| !g.name.is_empty());
    out
}

fn push(g: &mut Generator, key: &str, value: String, line: usize) {
    match key {
        "envs" | "env" => g.envs.push(value),
        "files" => g.files.push(value),
        "literals" => g.literals.push((value, line)),
        _ => {}
    }
}

/// The generated Secret and data key a key site feeds: the site is a `literals` line of a
/// kustomization, a line of one of its `envs` files (the key is the line's variable), or in one
/// of its `files` (the key is the entry's `key=`, else the file name). `None` otherwise.
pub fn secret_key_of(path: &str, line: usize, texts: &Texts) -> Option<(String, String)> {
    let dir = folder_of(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    if NAMES.contains(&name) {
        let text = texts.text(path)?;
        return generators(&text).into_iter().find_map(|g| {
            let (literal, _) = g.literals.iter().find(|(_, l)| *l == line)?;
            Some((g.name.clone(), literal.split_once('=')?.0.trim().to_string()))
        });
    }
    let kustomization = NAMES.iter().map(|n| join(dir, n)).find(|k| texts.exists(k))?;
    let text = texts.text(&kustomization)?;
    for g in generators(&text) {
        if g.envs.iter().any(|e| e.trim_start_matches("./") == name) {
            let source = texts.text(path)?;
            let at = source.lines().nth(line.checked_sub(1)?)?.trim_start();
            let at = at.strip_prefix("export ").unwrap_or(at);
            let key = at.split_once('=')?.0.trim();
            if !key.is_empty() && !key.starts_with('#') {
                return Some((g.name, key.to_string()));
            }
        }
        for f in &g.files {
            let (key, file) = f.split_once('=').unwrap_or((name, f.as_str()));
            if file.trim_start_matches("./") == name {
                return Some((g.name.clone(), key.to_string()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_read_with_their_sources() {
        let k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\nsecretGenerator:\n- name: edge-cloudflare\n  envs:\n  - cloudflare.env\n- name: tls\n  files:\n    - tls.key\n    - ca=ca.pem\n- literals:\n  - CF_API_EMAIL=ops@example.com\n  name: inline\n  options: {disableNameSuffixHash: true}\nconfigMapGenerator:\n- name: settings\n  envs: [settings.env]\n";
        let got = generators(k);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(
            (got[0].name.as_str(), got[0].envs.as_slice()),
            ("edge-cloudflare", &["cloudflare.env".to_string()][..])
        );
        assert_eq!(got[1].files, ["tls.key", "ca=ca.pem"]);
        assert_eq!(
            (got[2].name.as_str(), got[2].literals.as_slice()),
            ("inline", &[("CF_API_EMAIL=ops@example.com".to_string(), 14)][..])
        );
        // The same written with the items indented and lists inline.
        let k = "secretGenerator:\n  - name: edge\n    envs: [\"./cloudflare.env\"]\n";
        assert_eq!(generators(k)[0].envs, ["./cloudflare.env"]);
        assert!(generators("resources:\n- a.yaml\n").is_empty());
    }
}
