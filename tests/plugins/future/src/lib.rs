//! A check built against `shipready:check@0.9.0`, a contract version the
//! host does not know: loading it must fail with a message naming the version.

wit_bindgen::generate!({ path: "wit", world: "plugin" });

use exports::shipready::check::check::Guest;
use shipready::check::types::{CheckError, CheckInfo, Context};

struct P;

impl Guest for P {
    fn describe() -> CheckInfo {
        CheckInfo {
            id: "future".into(),
            version: "9.0.0".into(),
            title: "From the future".into(),
            summary: "Targets a newer contract.".into(),
            capabilities: vec![],
            rules: vec![],
        }
    }

    fn run(_ctx: Context) -> Result<(), CheckError> {
        Ok(())
    }
}

export!(P);
