//! Write shipready checks in Rust.
//!
//! A check implements [`Check`]: `info()` says what it is, which host services
//! it needs and which rules it decides; `run()` looks at the target through a
//! [`Cx`] and reports [`Finding`]s. [`export!`] turns the type into the
//! component's `check` export. The generated bindings stay private: a check
//! only sees the types of this crate, so the same logic runs in the host as a
//! WebAssembly component and natively in unit tests (feature `testing`).
//!
//! The contract version this SDK speaks is [`CONTRACT_VERSION`].

mod check;
mod finding;
mod host;
mod project_paths;
mod rule;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use check::{Check, CheckInfo, Context, Cx, Outcome};
pub use finding::{Finding, Location, NotApplicable, Span};
pub use host::{
    CommitInfo, FileInfo, FileKind, HistoryHit, HistoryHits, HistoryScope, Hit, Hits, Host,
    HostError, HttpError, HttpHop, HttpMethod, HttpRequest, HttpResponse, Level, ListedFile,
    PathsSince, Pattern, Since, TlsCertificate, TlsCipherProbe, TlsError, TlsHandshake,
    TlsInspection, TlsVersionProbe,
};
pub use project_paths::ProjectPaths;
pub use rule::{Capability, Rule, Severity};
/// Schema operations and SQL parse results ([`Cx::parse_sql`]).
pub use shipready_paths as paths;
pub use shipready_schema as schema;
pub use shipready_syntax as syntax;

/// The WIT package version of `wit/check.wit` this SDK is built against.
pub const CONTRACT_VERSION: &str = "0.5.0";

/// Why a check could not complete. Becomes an `error` item in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    /// The check's settings were wrong; say which and why.
    BadSettings(String),
    /// Anything else that stopped the check.
    Internal(String),
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::BadSettings(m) => write!(f, "bad settings: {m}"),
            CheckError::Internal(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for CheckError {}

impl From<HostError> for CheckError {
    fn from(e: HostError) -> Self {
        CheckError::Internal(e.to_string())
    }
}

/// `Result` with [`CheckError`] by default.
pub type Result<T, E = CheckError> = std::result::Result<T, E>;

/// Everything a check usually needs.
pub mod prelude {
    pub use crate::{
        Capability, Check, CheckError, CheckInfo, Context, Cx, FileInfo, FileKind, Finding, Hit,
        Hits, ListedFile, Pattern, Result, Rule, Severity,
    };
}

/// Turn a type implementing [`Check`] into this component's `check` export.
///
/// ```ignore
/// struct MyCheck;
/// impl shipready_sdk::Check for MyCheck { /* ... */ }
/// shipready_sdk::export!(MyCheck);
/// ```
#[macro_export]
macro_rules! export {
    ($ty:ty) => {
        // Exported only when compiling the component: a native build (unit
        // tests of the check's logic) has no component exports to link.
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct __ShipreadyExport;

            impl $crate::__private::bindings::exports::shipready::check::check::Guest
                for __ShipreadyExport
            {
                fn describe() -> $crate::__private::bindings::shipready::check::types::CheckInfo {
                    $crate::__private::describe::<$ty>()
                }

                fn run(
                    ctx: $crate::__private::bindings::shipready::check::types::Context,
                ) -> ::core::result::Result<
                    (),
                    $crate::__private::bindings::shipready::check::types::CheckError,
                > {
                    $crate::__private::run::<$ty>(ctx)
                }
            }

            $crate::__private::bindings::__export_check!(
                __ShipreadyExport with_types_in $crate::__private::bindings
            );
        };
    };
}

/// Declare a rule; its doc comment is its documentation.
///
/// The doc comment uses the headings `## What it checks`, `## Why it matters`
/// and `## Example`; it is what `shipready explain` prints and what SARIF
/// carries as help.
///
/// ```
/// use shipready_sdk::{Rule, Severity};
/// shipready_sdk::rule! {
///     /// ## What it checks
///     /// Something.
///     ///
///     /// ## Why it matters
///     /// Because.
///     ///
///     /// ## Example
///     /// An example.
///     pub static SOMETHING: Rule = ("demo/something", "Something is wrong", Severity::Low);
/// }
/// assert!(SOMETHING.docs().starts_with("## What it checks"));
/// ```
#[macro_export]
macro_rules! rule {
    ($(#[doc = $doc:literal])* $vis:vis static $name:ident: Rule = ($id:expr, $title:expr, $sev:expr $(,)?);) => {
        $vis static $name: $crate::Rule = $crate::Rule::__new(
            $id,
            $title,
            $sev,
            concat!($($doc, "\n"),*),
        );
    };
}
