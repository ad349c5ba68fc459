//! Rules and their documentation, declared with [`crate::rule!`].

/// How bad a finding is. Report items fail on `Medium` and above, warn on `Low`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// A host service a check declares it needs. Anything not declared is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// List and read the target's files.
    Repo,
    /// Run many regexes at once over the target's files.
    Search,
    /// Search the git history: every blob once, with the commit that brought it.
    History,
    /// Send requests to the live URLs given with `--url`.
    Http,
    /// Examine the TLS of the `https` URLs given with `--url`.
    Tls,
    /// Parse source files with tree-sitter and query them, in the host.
    Syntax,
}

/// One rule a check decides: an id namespaced by the check, a title, a default
/// severity and Markdown documentation (the doc comment of [`crate::rule!`]).
#[derive(Debug)]
pub struct Rule {
    id: &'static str,
    title: &'static str,
    severity: Severity,
    raw_docs: &'static str,
}

impl Rule {
    /// A rule whose documentation is built rather than written as a doc
    /// comment (for example by a macro shared by many similar rules). Most
    /// checks use [`crate::rule!`] instead.
    pub const fn new(
        id: &'static str,
        title: &'static str,
        severity: Severity,
        docs: &'static str,
    ) -> Self {
        Rule {
            id,
            title,
            severity,
            raw_docs: docs,
        }
    }

    #[doc(hidden)]
    pub const fn __new(
        id: &'static str,
        title: &'static str,
        severity: Severity,
        raw_docs: &'static str,
    ) -> Self {
        Rule {
            id,
            title,
            severity,
            raw_docs,
        }
    }

    pub fn id(&self) -> &'static str {
        self.id
    }

    pub fn title(&self) -> &'static str {
        self.title
    }

    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The documentation as Markdown, with the one space that `///` leaves at
    /// the start of each line removed.
    pub fn docs(&self) -> String {
        let mut out = String::with_capacity(self.raw_docs.len());
        for line in self.raw_docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string()
    }
}
