//! Files whose presence in the repository is itself the leak: SSH and TLS
//! key files, key stores, Terraform state, credential stores, kubeconfigs
//! with tokens.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// Files that hold credentials by their nature, committed: SSH private
    /// keys (`id_rsa`, `id_ed25519`, ... without `.pub`), key stores
    /// (`*.p12`, `*.pfx`, `*.jks`, `*.keystore`), Terraform state
    /// (`terraform.tfstate`, which stores every resource's secrets in clear),
    /// git and curl credential stores (`.git-credentials`, `.netrc`), AWS
    /// credentials files, and kubeconfigs carrying a token or client key.
    ///
    /// ## Why it matters
    /// Whoever can read the repository gets the keys to the servers, the
    /// cluster or the cloud account, for as long as they stay valid.
    ///
    /// ## Example
    /// ```text
    /// deploy/id_ed25519
    /// infra/terraform.tfstate
    /// ```
    /// Use instead: keep these files out of the repository (`.gitignore`),
    /// store Terraform state in a remote backend, and give CI its keys from a
    /// secret store.
    ///
    /// ## How to fix
    /// Remove the file, rotate every credential it held, and purge it from
    /// the history.
    pub static SECRET_FILE: Rule = ("secrets/secret-file-committed", "Credential file committed", Severity::High);
}

/// Names that are credentials whatever they contain.
const KEY_FILE_NAMES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
    ".git-credentials",
    "terraform.tfstate",
    "terraform.tfstate.backup",
];
const KEY_STORE_SUFFIXES: &[&str] = &[".p12", ".pfx", ".jks", ".keystore"];

/// Why a file is a credential file, if it is one. `text` is read only for
/// files whose name alone does not decide.
fn reason(file: &ListedFile, text: impl FnOnce() -> Option<String>) -> Option<&'static str> {
    let name = file.name();
    if KEY_FILE_NAMES.contains(&name) {
        return Some(if name.starts_with("terraform") {
            "Terraform state stores resource secrets in clear"
        } else if name.starts_with("id_") {
            "an SSH private key"
        } else {
            "stored git credentials"
        });
    }
    if KEY_STORE_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Some("a key store with private keys");
    }
    let path = file.path.as_str();
    if name == ".netrc" || name == "_netrc" {
        return text()
            .filter(|t| t.contains("password"))
            .map(|_| "a .netrc with a password");
    }
    if path.ends_with(".aws/credentials") {
        return text()
            .filter(|t| t.contains("aws_secret_access_key"))
            .map(|_| "an AWS credentials file");
    }
    if name == "kubeconfig" || name.ends_with(".kubeconfig") || path.ends_with(".kube/config") {
        return text()
            .filter(|t| t.contains("token:") || t.contains("client-key-data:"))
            .map(|_| "a kubeconfig with a token or client key");
    }
    None
}

pub fn check(cx: &mut Cx<'_>, files: &[ListedFile]) -> Result<()> {
    let mut found = false;
    // A credential file outside a change-limited run's files would not count.
    let in_scope: Vec<&ListedFile> = files.iter().filter(|f| cx.in_scope(&f.path)).collect();
    for file in in_scope {
        let why = reason(file, || cx.read_text(&file.path).ok());
        if let Some(why) = why {
            found = true;
            if cx
                .read_text(&file.path)
                .is_ok_and(|t| t.lines().next().is_some_and(crate::filters::is_allowed))
            {
                continue;
            }
            cx.report(
                Finding::new(&SECRET_FILE, format!("{} is {why}", file.path))
                    .at_file(&file.path)
                    .evidence(format!("file {} ({} bytes; contents not shown)", file.name(), file.size))
                    .remediation("Remove the file from the repository, add it to .gitignore, rotate every credential it held, and purge it from the history."),
            );
        }
    }
    if !found && files.is_empty() {
        cx.not_applicable(&SECRET_FILE, "the repository has no files");
    }
    Ok(())
}
