//! The check on canned inspections.

use shipready_sdk::testing::FakeRepo;
use shipready_sdk::{TlsCipherProbe, TlsHandshake, TlsVersionProbe};

use super::*;

const NOW: i64 = 1_800_000_000;

fn leaf() -> TlsCertificate {
    TlsCertificate {
        subject: "CN=app.test".into(),
        issuer: "CN=Test CA".into(),
        names: vec!["app.test".into()],
        not_before: NOW - 30 * DAY,
        not_after: NOW + 90 * DAY,
        key_type: "ec".into(),
        key_bits: 256,
        signature_algorithm: "ecdsa-with-SHA256".into(),
        self_signed: false,
    }
}

fn version(v: &str, accepted: bool) -> TlsVersionProbe {
    TlsVersionProbe {
        version: v.into(),
        accepted,
        cipher: accepted.then(|| "TLS13_AES_128_GCM_SHA256".into()),
        detail: String::new(),
    }
}

fn good() -> TlsInspection {
    TlsInspection {
        now: NOW,
        handshake: Some(TlsHandshake {
            protocol: "TLSv1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            chain: vec![leaf()],
            untrusted: None,
            name_matches: true,
            ocsp_stapled: false,
        }),
        handshake_error: None,
        versions: vec![
            version("TLSv1.0", false),
            version("TLSv1.1", false),
            version("TLSv1.2", true),
            version("TLSv1.3", true),
        ],
        weak_ciphers: vec![TlsCipherProbe {
            class: "3DES".into(),
            accepted: false,
            cipher: None,
            version: "TLSv1.2".into(),
        }],
    }
}

fn rules_for(i: TlsInspection) -> Vec<(String, Option<Severity>)> {
    let outcome = FakeRepo::new()
        .url("https://app.test/")
        .tls("app.test", 443, Ok(i))
        .run::<Tls>()
        .unwrap();
    outcome
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.severity))
        .collect()
}

fn only_rules(i: TlsInspection) -> Vec<String> {
    rules_for(i).into_iter().map(|(r, _)| r).collect()
}

#[test]
fn a_good_server_passes() {
    assert!(only_rules(good()).is_empty());
}

#[test]
fn each_certificate_problem_is_its_rule() {
    let with_leaf = |f: &dyn Fn(&mut TlsCertificate)| {
        let mut i = good();
        f(&mut i.handshake.as_mut().unwrap().chain[0]);
        i
    };
    assert_eq!(
        only_rules(with_leaf(&|c| c.not_after = NOW - DAY)),
        ["tls/expired"]
    );
    assert_eq!(
        rules_for(with_leaf(&|c| c.not_after = NOW + 5 * DAY)),
        [("tls/expiring".to_string(), Some(Severity::High))]
    );
    assert_eq!(
        rules_for(with_leaf(&|c| c.not_after = NOW + 20 * DAY)),
        [("tls/expiring".to_string(), Some(Severity::Low))]
    );
    assert_eq!(
        only_rules(with_leaf(&|c| {
            c.key_type = "rsa".into();
            c.key_bits = 1024;
        })),
        ["tls/weak-key"]
    );
    assert_eq!(
        only_rules(with_leaf(
            &|c| c.signature_algorithm = "sha1WithRSAEncryption".into()
        )),
        ["tls/sha1-signature"]
    );
    let mut untrusted = good();
    let h = untrusted.handshake.as_mut().unwrap();
    h.untrusted = Some("issued by an unknown authority".into());
    h.chain[0].self_signed = true;
    h.name_matches = false;
    assert_eq!(
        only_rules(untrusted),
        ["tls/untrusted", "tls/name-mismatch"]
    );
}

#[test]
fn legacy_protocols_weak_suites_and_no_tls13() {
    let mut i = good();
    i.versions = vec![
        version("TLSv1.0", true),
        version("TLSv1.1", true),
        version("TLSv1.2", true),
        version("TLSv1.3", false),
    ];
    i.weak_ciphers = vec![
        TlsCipherProbe {
            class: "3DES".into(),
            accepted: true,
            cipher: Some("TLS_RSA_WITH_3DES_EDE_CBC_SHA".into()),
            version: "TLSv1.2".into(),
        },
        TlsCipherProbe {
            class: "no forward secrecy".into(),
            accepted: true,
            cipher: Some("TLS_RSA_WITH_AES_128_CBC_SHA".into()),
            version: "TLSv1.2".into(),
        },
    ];
    assert_eq!(
        rules_for(i),
        [
            ("tls/legacy-protocol".to_string(), None),
            ("tls/weak-cipher".to_string(), None),
            ("tls/weak-cipher".to_string(), Some(Severity::Medium)),
            ("tls/no-tls13".to_string(), None),
        ]
    );
}

#[test]
fn targets_and_their_absence() {
    assert_eq!(
        https_target("https://app.test:8443/x"),
        Some(("app.test".into(), 8443))
    );
    assert_eq!(https_target("https://[::1]/"), Some(("::1".into(), 443)));
    assert_eq!(https_target("http://app.test/"), None);
    let outcome = FakeRepo::new()
        .url("http://plain.test/")
        .run::<Tls>()
        .unwrap();
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.not_applicable[0].reason, "no https URL given");
}
