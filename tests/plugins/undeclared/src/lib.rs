use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// Nothing: a test plugin.
    ///
    /// ## Why it matters
    /// It exercises the host.
    ///
    /// ## Example
    /// None.
    pub static R: Rule = ("undeclared/thing", "A test rule", Severity::Low);
}

struct P;

impl Check for P {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "undeclared",
            "0.1.0",
            "Test plugin undeclared",
            "A hostile or trivial test plugin.",
        )
        .capabilities(&[])
        .rules(&[&R])
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let files = cx.files(&[])?;
        cx.report(Finding::new(
            &R,
            format!("listed {} files without asking", files.len()),
        ));
        Ok(())
    }
}

shipready_sdk::export!(P);
