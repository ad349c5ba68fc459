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
    pub static R: Rule = ("hog/thing", "A test rule", Severity::Low);
}

struct P;

impl Check for P {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "hog",
            "0.1.0",
            "Test plugin hog",
            "A hostile or trivial test plugin.",
        )
        .capabilities(&[])
        .rules(&[&R])
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        let mut keep: Vec<Vec<u8>> = Vec::new();
        loop {
            keep.push(vec![1u8; 16 << 20]);
            std::hint::black_box(&keep);
        }
    }
}

shipready_sdk::export!(P);
