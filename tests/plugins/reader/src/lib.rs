//! Reads every file of the repository through the host and reports how many
//! bytes it read: the reference "the host just reads them" for check
//! benchmarks.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// Nothing: a test plugin that reads files.
    ///
    /// ## Why it matters
    /// It measures the host's cost of handing files to a check.
    ///
    /// ## Example
    /// None.
    pub static READ: Rule = ("reader/read", "Files read", Severity::Info);
}

struct Reader;

impl Check for Reader {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "reader",
            "0.1.0",
            "Test plugin reader",
            "Reads files through the host.",
        )
        .capabilities(&[Capability::Repo])
        .rules(&[&READ])
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let mut files = 0;
        let mut bytes = 0;
        for file in cx.paths(&[])? {
            if let Some(text) = cx.read_utf8(&file.path) {
                files += 1;
                bytes += text.len();
            }
        }
        cx.report(Finding::new(
            &READ,
            format!("read {files} files, {bytes} bytes"),
        ));
        Ok(())
    }
}

shipready_sdk::export!(Reader);
