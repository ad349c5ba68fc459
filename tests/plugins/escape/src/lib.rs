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
    pub static R: Rule = ("escape/thing", "A test rule", Severity::Low);
}

struct P;

impl Check for P {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "escape",
            "0.1.0",
            "Test plugin escape",
            "A hostile or trivial test plugin.",
        )
        .capabilities(&[])
        .rules(&[&R])
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let fs = std::fs::read_to_string("/etc/passwd");
        let dir = std::fs::read_dir(".");
        let net = std::net::TcpStream::connect("127.0.0.1:9");
        let env: Vec<(String, String)> = std::env::vars().collect();
        let args: Vec<String> = std::env::args().collect();
        let escaped = fs.is_ok() || dir.is_ok() || net.is_ok() || !env.is_empty() || args.len() > 1;
        if let Ok(text) = &fs {
            cx.report(Finding::new(
                &R,
                format!("read /etc/passwd: {}", text.len()),
            ));
        }
        if dir.is_ok() {
            cx.report(Finding::new(&R, "listed the current directory"));
        }
        if net.is_ok() {
            cx.report(Finding::new(&R, "opened a TCP connection"));
        }
        if !env.is_empty() || args.len() > 1 {
            cx.report(Finding::new(
                &R,
                format!(
                    "saw {} environment variables and {} arguments",
                    env.len(),
                    args.len()
                ),
            ));
        }
        if escaped {
            return Ok(());
        }
        Err(CheckError::Internal(format!(
            "sandbox held: file: {}; directory: {}; socket: {}; environment: empty",
            fs.err().map_or("opened".into(), |e| e.to_string()),
            dir.err().map_or("opened".into(), |e| e.to_string()),
            net.err().map_or("connected".into(), |e| e.to_string()),
        )))
    }
}

shipready_sdk::export!(P);
