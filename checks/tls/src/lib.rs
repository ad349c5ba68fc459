//! Built-in check `tls`: the certificate and protocols of every `https`
//! target given with `--url`. The host handshakes and probes (only those
//! hosts and ports); this check judges: expired or expiring soon,
//! untrusted or self-signed, issued for another name, a weak key, a SHA-1
//! signature, TLS 1.0/1.1 or weak suites accepted, no TLS 1.3.

use shipready_sdk::prelude::*;
use shipready_sdk::{TlsCertificate, TlsInspection};

pub struct Tls;

const DAY: i64 = 86_400;

shipready_sdk::rule! {
    /// ## What it checks
    /// That a TLS connection can be made to the target at all.
    ///
    /// ## Why it matters
    /// Nothing else can be checked, and browsers cannot connect either.
    ///
    /// ## Example
    /// Nothing listens on the port, or it speaks plain HTTP: fix the
    /// deployment or the URL.
    pub static UNREACHABLE: Rule = ("tls/unreachable", "No TLS connection", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// The leaf certificate's `notAfter` is in the future.
    ///
    /// ## Why it matters
    /// Every browser refuses an expired certificate: the site is down for
    /// everyone.
    ///
    /// ## Example
    /// Expired two days ago. Renew it, and automate renewal (ACME /
    /// Let's Encrypt, or your provider's managed certificates).
    pub static EXPIRED: Rule = ("tls/expired", "Certificate expired", Severity::Critical);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Days left on the leaf certificate: a failure under 14 days, a
    /// warning under 30.
    ///
    /// ## Why it matters
    /// Renewal that has not happened by then is probably not automated, and
    /// the site goes down the day it expires.
    ///
    /// ## Example
    /// Expires in 5 days. Renew now and automate renewal.
    pub static EXPIRING: Rule = ("tls/expiring", "Certificate expires soon", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// That the chain validates against the system's trusted roots (or the
    /// `--ca-file` given): not self-signed, not from an unknown authority,
    /// intermediates included.
    ///
    /// ## Why it matters
    /// Browsers show a full-page warning; users who click through can be
    /// intercepted by anyone who can do the same.
    ///
    /// ## Example
    /// A self-signed certificate in production. Use a certificate from a
    /// public CA, and serve the full chain (leaf and intermediates).
    pub static UNTRUSTED: Rule = ("tls/untrusted", "Certificate not trusted", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// That the leaf certificate is valid for the host name in the URL.
    ///
    /// ## Why it matters
    /// Browsers refuse a certificate for another name.
    ///
    /// ## Example
    /// A certificate for `www.example.com` served on `app.example.com`.
    /// Issue one that names every host it is served on.
    pub static NAME_MISMATCH: Rule = ("tls/name-mismatch", "Certificate for another name", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// The leaf's key: RSA of at least 2048 bits, EC of at least 256.
    ///
    /// ## Why it matters
    /// 1024-bit RSA is within reach of factoring; browsers and CAs have
    /// refused it since 2013.
    ///
    /// ## Example
    /// RSA 1024. Reissue with RSA 2048+ or ECDSA P-256.
    pub static WEAK_KEY: Rule = ("tls/weak-key", "Weak certificate key", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Signatures on the leaf and intermediates (not the root): no SHA-1
    /// or MD5.
    ///
    /// ## Why it matters
    /// SHA-1 collisions are practical; browsers refuse SHA-1 certificates.
    ///
    /// ## Example
    /// `sha1WithRSAEncryption`. Reissue with SHA-256.
    pub static SHA1: Rule = ("tls/sha1-signature", "SHA-1 signed certificate", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Whether the server completes a TLS 1.0 or TLS 1.1 handshake.
    ///
    /// ## Why it matters
    /// Both are deprecated (RFC 8996): weak MACs, CBC attacks (BEAST,
    /// POODLE-style), and no modern suites. PCI DSS forbids them.
    ///
    /// ## Example
    /// TLS 1.0 accepted. Allow only TLS 1.2 and 1.3
    /// (`ssl_protocols TLSv1.2 TLSv1.3;`).
    pub static LEGACY_PROTOCOL: Rule = ("tls/legacy-protocol", "TLS 1.0 or 1.1 accepted", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Whether the server picks weak suites when a client offers only
    /// those: 3DES, RC4, EXPORT, single DES, NULL, anonymous, and suites
    /// without forward secrecy (static RSA key exchange).
    ///
    /// ## Why it matters
    /// A downgrade or an old client lands on a breakable suite (Sweet32,
    /// RC4 biases, FREAK/Logjam); without forward secrecy a stolen key
    /// decrypts every recorded session.
    ///
    /// ## Example
    /// `TLS_RSA_WITH_3DES_EDE_CBC_SHA` accepted. Offer only ECDHE with
    /// AES-GCM or ChaCha20 (Mozilla's "intermediate" configuration).
    pub static WEAK_CIPHER: Rule = ("tls/weak-cipher", "Weak cipher suite accepted", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Whether the server speaks TLS 1.3.
    ///
    /// ## Why it matters
    /// TLS 1.3 is faster (one round trip) and drops every legacy
    /// construction; its absence is worth knowing, not an emergency.
    ///
    /// ## Example
    /// Only TLS 1.2. Enable TLS 1.3 in the server or load balancer.
    pub static NO_TLS13: Rule = ("tls/no-tls13", "No TLS 1.3", Severity::Info);
}

static ALL: &[&Rule] = &[
    &UNREACHABLE,
    &EXPIRED,
    &EXPIRING,
    &UNTRUSTED,
    &NAME_MISMATCH,
    &WEAK_KEY,
    &SHA1,
    &LEGACY_PROTOCOL,
    &WEAK_CIPHER,
    &NO_TLS13,
];

impl Check for Tls {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "tls",
            env!("CARGO_PKG_VERSION"),
            "Live site TLS",
            "The certificate is valid, trusted, for the right name and strong; only modern protocols and suites are accepted.",
        )
        .capabilities(&[Capability::Tls])
        .rules(ALL)
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let targets: Vec<(String, String, u16)> = cx
            .context()
            .urls
            .iter()
            .filter_map(|u| https_target(u).map(|(h, p)| (u.clone(), h, p)))
            .collect();
        if targets.is_empty() {
            let why = if cx.context().urls.is_empty() {
                "no --url given"
            } else {
                "no https URL given"
            };
            for rule in ALL {
                cx.not_applicable(rule, why);
            }
            return Ok(());
        }
        for (url, host, port) in targets {
            let findings = match cx.tls_inspect(&host, port) {
                Ok(inspection) => judge(&url, &host, &inspection),
                Err(e) => vec![
                    Finding::new(
                        &UNREACHABLE,
                        format!("{host}:{port} cannot be examined: {e}"),
                    )
                    .at_url(&url)
                    .remediation("Check the URL, DNS and that the service listens on that port."),
                ],
            };
            for f in findings {
                cx.report(f);
            }
        }
        Ok(())
    }
}

shipready_sdk::export!(Tls);

/// The host and port of an `https` URL.
fn https_target(url: &str) -> Option<(String, u16)> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']')?;
            (h, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 443,
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

fn days(seconds: i64) -> i64 {
    seconds.div_euclid(DAY)
}

fn describe(c: &TlsCertificate) -> String {
    format!(
        "subject {}, issuer {}, names [{}], key {} {}, signed {}",
        c.subject,
        c.issuer,
        c.names.join(", "),
        c.key_type,
        c.key_bits,
        c.signature_algorithm
    )
}

/// Every problem an inspection shows.
fn judge(url: &str, host: &str, i: &TlsInspection) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |rule: &Rule, message: String| Finding::new(rule, message).at_url(url);
    match &i.handshake {
        None => {
            let error = i.handshake_error.as_deref().unwrap_or("refused");
            let finding = if i.versions.iter().any(|v| v.accepted) {
                at(
                    &WEAK_CIPHER,
                    format!("no modern handshake: a client offering only forward-secret AEAD suites (ECDHE with AES-GCM or ChaCha20, TLS 1.2 or 1.3) is refused ({error}); the certificate could not be examined"),
                )
                .remediation("Enable TLS 1.2 and 1.3 with ECDHE and AES-GCM or ChaCha20-Poly1305 suites.")
                .fingerprint("no modern handshake")
            } else {
                at(
                    &UNREACHABLE,
                    format!("no TLS handshake with {host}: {error}"),
                )
                .remediation("Check that the port serves TLS.")
            };
            out.push(finding);
        }
        Some(h) => {
            if let Some(leaf) = h.chain.first() {
                let left = leaf.not_after - i.now;
                if left < 0 {
                    out.push(
                        at(
                            &EXPIRED,
                            format!("the certificate expired {} days ago", days(-left).max(1)),
                        )
                        .evidence(format!(
                            "notAfter {} (unix); {}",
                            leaf.not_after,
                            describe(leaf)
                        ))
                        .remediation("Renew it now, and automate renewal (ACME)."),
                    );
                } else if left < 30 * DAY {
                    let soon = left < 14 * DAY;
                    out.push(
                        at(&EXPIRING, format!("the certificate expires in {} days", days(left)))
                            .severity(if soon { Severity::High } else { Severity::Low })
                            .evidence(format!("notAfter {} (unix); {}", leaf.not_after, describe(leaf)))
                            .remediation("Renew it, and automate renewal (ACME) so this never depends on a person."),
                    );
                }
                // An expired leaf is its own finding; anything else (an
                // expired intermediate included) makes the chain untrusted.
                if let Some(why) = &h.untrusted
                    && !(why == "expired" && left < 0)
                {
                    let what = if leaf.self_signed {
                        "self-signed: "
                    } else {
                        ""
                    };
                    out.push(
                        at(&UNTRUSTED, format!("the certificate chain is not trusted: {what}{why}"))
                            .evidence(describe(leaf))
                            .remediation("Serve a certificate from a trusted CA with its full chain (or give --ca-file for a private CA)."),
                    );
                }
                if !h.name_matches {
                    out.push(
                        at(
                            &NAME_MISMATCH,
                            format!("the certificate is not valid for {host}"),
                        )
                        .evidence(format!("names [{}]", leaf.names.join(", ")))
                        .remediation("Issue a certificate that names every host it is served on."),
                    );
                }
                let weak_key = match leaf.key_type.as_str() {
                    "rsa" | "dsa" => leaf.key_bits < 2048,
                    "ec" => leaf.key_bits < 256,
                    _ => false,
                };
                if weak_key {
                    out.push(
                        at(
                            &WEAK_KEY,
                            format!(
                                "the certificate's key is {} {} bits",
                                leaf.key_type.to_uppercase(),
                                leaf.key_bits
                            ),
                        )
                        .evidence(describe(leaf))
                        .remediation("Reissue with RSA 2048+ or ECDSA P-256."),
                    );
                }
            }
            // The root's own signature does not matter: it is trusted as is.
            let signed: Vec<&TlsCertificate> = h
                .chain
                .iter()
                .filter(|c| !c.self_signed || h.chain.len() == 1)
                .collect();
            if let Some(c) = signed.iter().find(|c| {
                let alg = c.signature_algorithm.to_ascii_lowercase();
                alg.contains("sha1") || alg.contains("md5")
            }) {
                out.push(
                    at(
                        &SHA1,
                        format!(
                            "a certificate of the chain is signed with {}",
                            c.signature_algorithm
                        ),
                    )
                    .evidence(describe(c))
                    .remediation("Reissue it with a SHA-256 signature."),
                );
            }
        }
    }
    let legacy: Vec<&str> = i
        .versions
        .iter()
        .filter(|v| v.accepted && matches!(v.version.as_str(), "TLSv1.0" | "TLSv1.1"))
        .map(|v| v.version.as_str())
        .collect();
    if !legacy.is_empty() {
        let evidence: Vec<String> = i
            .versions
            .iter()
            .filter(|v| legacy.contains(&v.version.as_str()))
            .map(|v| {
                format!(
                    "{} accepted with {}",
                    v.version,
                    v.cipher.as_deref().unwrap_or("?")
                )
            })
            .collect();
        out.push(
            at(
                &LEGACY_PROTOCOL,
                format!("{} accepted", legacy.join(" and ")),
            )
            .evidence(evidence.join("; "))
            .remediation("Allow only TLS 1.2 and 1.3."),
        );
    }
    for probe in i.weak_ciphers.iter().filter(|c| c.accepted) {
        let mut f = at(
            &WEAK_CIPHER,
            format!("the server accepts a weak suite: {}", probe.class),
        )
        .evidence(format!(
            "{} chose {}",
            probe.version,
            probe.cipher.as_deref().unwrap_or("?")
        ))
        .remediation("Offer only ECDHE suites with AES-GCM or ChaCha20-Poly1305.")
        .fingerprint(probe.class.clone());
        if probe.class == "no forward secrecy" {
            f = f.severity(Severity::Medium);
        }
        out.push(f);
    }
    let tls13 = i
        .versions
        .iter()
        .any(|v| v.version == "TLSv1.3" && v.accepted);
    if !tls13 && (i.handshake.is_some() || !legacy.is_empty()) {
        out.push(
            at(&NO_TLS13, "TLS 1.3 is not accepted".to_string())
                .remediation("Enable TLS 1.3 in the server or load balancer."),
        );
    }
    out
}

#[cfg(test)]
mod tests;
