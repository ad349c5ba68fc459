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
    pub static R: Rule = ("panics/thing", "A test rule", Severity::Low);
}

struct P;

impl Check for P {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "panics",
            "0.1.0",
            "Test plugin panics",
            "A hostile or trivial test plugin.",
        )
        .capabilities(&[])
        .rules(&[&R])
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        panic!("deliberate panic from the test plugin")
    }
}

shipready_sdk::export!(P);
