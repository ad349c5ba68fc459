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
    pub static R: Rule = ("flood/thing", "A test rule", Severity::Low);
}

struct P;

impl Check for P {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "flood",
            "0.1.0",
            "Test plugin flood",
            "A hostile or trivial test plugin.",
        )
        .capabilities(&[])
        .rules(&[&R])
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        for i in 0..1_000_000u32 {
            cx.report(Finding::new(&R, "flood").fingerprint(i.to_string()));
        }
        Ok(())
    }
}

shipready_sdk::export!(P);
