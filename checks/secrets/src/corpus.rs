//! The labeled corpus: one planted credential per rule and look-alikes that
//! must not be reported. Used by the unit tests here and, with the `corpus`
//! feature, by the end-to-end tests that commit it into a real git history.
//! Every credential is assembled at run time from pieces, so this source
//! file itself holds no secret-shaped literal.

/// `parts` joined: keeps token-shaped literals out of the source.
pub fn j(parts: &[&str]) -> String {
    parts.concat()
}

/// A GitHub- or npm-style token with a valid checksum.
pub fn checksummed(prefix: &str, random: &str) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    assert_eq!(random.len(), 30);
    let mut n = u64::from(crc32fast::hash(random.as_bytes()));
    let mut digits = Vec::new();
    for _ in 0..6 {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    digits.reverse();
    format!("{prefix}{random}{}", String::from_utf8(digits).unwrap())
}

pub const R30: &str = "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5";
pub const HEX32: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/// One planted secret per detector: (rule, file, content).
pub fn planted() -> Vec<(&'static str, String, String)> {
    let hex64 = format!("{HEX32}{HEX32}");
    let b64_40 = j(&["wJa1rXUtnFEMIK7MDENGbPxRfi", "CYzQ9k3Lm8Vn2B"]);
    let azure_key = format!(
        "{}{}==",
        "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5A9bC0dE1fG2hI3jK4lM5nO6pQ7rS8tU9vW0xY1zA2bC3dE4fG5hI6jK7lM8n",
        ""
    );
    let azure_key = azure_key[..86].to_string() + "==";
    let pem_body = "MIIEowIBAAKCAQEAx9Kp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp4rT9qLm2XvB7nK";
    vec![
        (
            "secrets/aws-access-key-id",
            "config/aws.ini".into(),
            format!("aws_access_key_id = {}\n", j(&["AKIA", "Z7QW3RTY5UIOPA2D"])),
        ),
        (
            "secrets/aws-secret-access-key",
            "config/aws2.ini".into(),
            format!("aws_secret_access_key = {b64_40}\n"),
        ),
        (
            "secrets/gcp-service-account-key",
            "sa.json".into(),
            format!(
                "{{\"type\": \"service_account\", \"private_key_id\": \"{}\"}}\n",
                &hex64[..40]
            ),
        ),
        (
            "secrets/gcp-api-key",
            "web/maps.js".into(),
            format!(
                "const k = \"{}\";\n",
                j(&["AIza", "SyZp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5A9b"])
            ),
        ),
        (
            "secrets/azure-storage-connection-string",
            "app.config".into(),
            format!("DefaultEndpointsProtocol=https;AccountName=app;AccountKey={azure_key};\n"),
        ),
        (
            "secrets/azure-client-secret",
            "azure.env".into(),
            format!(
                "AZURE_CLIENT_SECRET={}\n",
                j(&["Zp4", "8Q~", "rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp4rT9q"])
            ),
        ),
        (
            "secrets/github-token",
            "scripts/release.sh".into(),
            format!("export GH={}\n", checksummed("ghp_", R30)),
        ),
        (
            "secrets/github-fine-grained-token",
            "ci/token.txt".into(),
            format!(
                "{}\n",
                j(&[
                    "github_pat_",
                    "11ABCDEFG0Zp4rT9qLm2Xv_",
                    &"Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5".repeat(2)[..59]
                ])
            ),
        ),
        (
            "secrets/gitlab-token",
            "ci/gl.sh".into(),
            format!("TOKEN={}\n", j(&["glpat-", "Zp4rT9qLm2XvB7nKw8Yc"])),
        ),
        (
            "secrets/stripe-secret-key",
            "billing/stripe.py".into(),
            format!(
                "stripe.api_key = \"{}\"\n",
                j(&["sk_live_", "Zp4rT9qLm2XvB7nKw8Yc3Hd6"])
            ),
        ),
        (
            "secrets/stripe-restricted-key",
            "billing/r.py".into(),
            format!(
                "KEY = \"{}\"\n",
                j(&["rk_live_", "Zp4rT9qLm2XvB7nKw8Yc3Hd6"])
            ),
        ),
        (
            "secrets/slack-token",
            "bot/slack.js".into(),
            format!(
                "const t = '{}';\n",
                j(&[
                    "xoxb-",
                    "123456789012-1234567890123-Zp4rT9qLm2XvB7nKw8Yc3Hd6"
                ])
            ),
        ),
        (
            "secrets/slack-webhook",
            "bot/hook.txt".into(),
            format!(
                "{}\n",
                j(&[
                    "https://hooks.slack.com/services/",
                    "T0123ABCD/B0123ABCD/Zp4rT9qLm2XvB7nKw8Yc3Hd6"
                ])
            ),
        ),
        (
            "secrets/twilio-api-key",
            "sms/twilio.rb".into(),
            format!("KEY = '{}'\n", j(&["SK", HEX32])),
        ),
        (
            "secrets/sendgrid-api-key",
            "mail/sg.go".into(),
            format!(
                "key := \"{}\"\n",
                j(&[
                    "SG.",
                    "Zp4rT9qLm2XvB7nKw8Yc3H",
                    ".",
                    "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp4rT9qLm2XvB"
                ])
            ),
        ),
        (
            "secrets/mailgun-api-key",
            "mail/mg.py".into(),
            format!("MG = '{}'\n", j(&["key-", HEX32])),
        ),
        (
            "secrets/telegram-bot-token",
            "bot/tg.py".into(),
            format!(
                "TOKEN = '{}'\n",
                j(&["123456789:", "AA", "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp4"])
            ),
        ),
        (
            "secrets/openai-api-key",
            "ai/openai.py".into(),
            format!(
                "OPENAI = '{}'\n",
                j(&[
                    "sk-proj-",
                    "Zp4rT9qLm2XvB7nKw8Yc",
                    "T3Blbk",
                    "FJ",
                    "Zp4rT9qLm2XvB7nKw8Yc"
                ])
            ),
        ),
        (
            "secrets/anthropic-api-key",
            "ai/claude.ts".into(),
            format!(
                "const k = \"{}\";\n",
                j(&[
                    "sk-ant-",
                    "api03-",
                    &"Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5".repeat(3)
                ])
            ),
        ),
        (
            "secrets/huggingface-token",
            "ml/hf.py".into(),
            format!(
                "HF = '{}'\n",
                j(&["hf_", "ZprTqLmXvBnKwYcHdJfGsZprTqLmXvBnKw"])
            ),
        ),
        (
            "secrets/npm-token",
            "web/.env.ci".into(),
            format!("NPM={}\n", checksummed("npm_", R30)),
        ),
        (
            "secrets/pypi-token",
            "release/pypi.txt".into(),
            format!(
                "{}\n",
                j(&[
                    "pypi-AgEIcHlwaS5",
                    "vcmc",
                    &"Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5".repeat(2)
                ])
            ),
        ),
        (
            "secrets/dockerhub-token",
            "ci/docker.sh".into(),
            format!(
                "echo {} | docker login\n",
                j(&["dckr_pat_", "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1"])
            ),
        ),
        (
            "secrets/npmrc-auth",
            ".npmrc".into(),
            format!(
                "//registry.npmjs.org/:_authToken={}\n",
                "Zp4rT9qLm2XvB7nKw8Yc"
            ),
        ),
        (
            "secrets/pypirc-password",
            ".pypirc".into(),
            format!("[pypi]\nusername = deploy\npassword = {}\n", "Zp4rT9qLm2Xv"),
        ),
        (
            "secrets/docker-config-auth",
            ".docker/config.json".into(),
            format!(
                "{{\"auths\": {{\"r.example.com\": {{\"auth\": \"{}\"}}}}}}\n",
                "ZGVwbG95OlpwNHJUOXFMbTJYdg=="
            ),
        ),
        (
            "secrets/vault-token",
            "ops/vault.sh".into(),
            format!(
                "VAULT_TOKEN={}\n",
                j(&["hvs.", "CAESIZp4rT9qLm2XvB7nKw8Yc3Hd6"])
            ),
        ),
        (
            "secrets/digitalocean-token",
            "ops/do.sh".into(),
            format!("DO={}\n", j(&["dop_v1_", &hex64])),
        ),
        (
            "secrets/databricks-token",
            "ops/db.sh".into(),
            format!("DATABRICKS={}\n", j(&["dapi", HEX32])),
        ),
        (
            "secrets/terraform-cloud-token",
            "ops/.terraformrc".into(),
            format!(
                "token = \"{}\"\n",
                j(&[
                    "Zp4rT9qLm2XvB7",
                    ".atlasv1.",
                    &"Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5".repeat(2),
                    "Ab"
                ])
            ),
        ),
        (
            "secrets/heroku-api-key",
            "ops/heroku.sh".into(),
            format!(
                "HEROKU_API_KEY={}\n",
                j(&["HRKU-", &"Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5".repeat(2)])
            ),
        ),
        (
            "secrets/shopify-token",
            "shop/app.rb".into(),
            format!("TOKEN = '{}'\n", j(&["shpat_", HEX32])),
        ),
        (
            "secrets/postman-api-key",
            "api/postman.json".into(),
            format!(
                "\"key\": \"{}\"\n",
                j(&["PMAK-", &HEX32[..24], "-", &hex64[..34]])
            ),
        ),
        (
            "secrets/grafana-token",
            "ops/grafana.env".into(),
            format!(
                "GRAFANA={}\n",
                j(&[
                    "glsa_",
                    "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp",
                    "_",
                    &HEX32[..8]
                ])
            ),
        ),
        (
            "secrets/sentry-token",
            "ops/sentry.env".into(),
            format!(
                "SENTRY_AUTH_TOKEN={}\n",
                j(&[
                    "sntrys_",
                    "eyJpYXQiOjE3MDAwMDAwMDB9Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5"
                ])
            ),
        ),
        (
            "secrets/linear-api-key",
            "tools/linear.ts".into(),
            format!(
                "const k = '{}';\n",
                j(&["lin_api_", "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp4rT9qLm2"])
            ),
        ),
        (
            "secrets/doppler-token",
            "ops/doppler.env".into(),
            format!(
                "DOPPLER_TOKEN={}\n",
                j(&[
                    "dp.st.",
                    "prd.",
                    "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp4rT9qLm2Xv"
                ])
            ),
        ),
        (
            "secrets/private-key",
            "certs/server.key".into(),
            format!(
                "{}\n{pem_body}\n{}\n",
                j(&["-----BEGIN RSA ", "PRIVATE KEY-----"]),
                j(&["-----END RSA ", "PRIVATE KEY-----"])
            ),
        ),
        (
            "secrets/openssh-private-key",
            "deploy/key".into(),
            format!(
                "{}\n{}\n",
                j(&["-----BEGIN OPENSSH ", "PRIVATE KEY-----"]),
                j(&[
                    "b3BlbnNzaC1rZXktdjEAAAAA",
                    "BG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz"
                ])
            ),
        ),
        (
            "secrets/pgp-private-key",
            "keys/release.asc".into(),
            format!(
                "{}\n\nlQOYBGXz{}\n",
                j(&["-----BEGIN PGP ", "PRIVATE KEY BLOCK-----"]),
                "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp4rT9qLm2Xv"
            ),
        ),
        (
            "secrets/putty-private-key",
            "keys/win.ppk".into(),
            format!(
                "{}: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAAIZp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5\n",
                j(&["PuTTY-User-", "Key-File-3"])
            ),
        ),
        (
            "secrets/jwt",
            "api/test_client.py".into(),
            format!(
                "TOKEN = '{}'\n",
                j(&[
                    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
                    ".",
                    "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
                    ".",
                    "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5"
                ])
            ),
        ),
        (
            "secrets/database-uri-password",
            "config/db.yml".into(),
            format!(
                "url: {}\n",
                j(&["postgres://app:", "Zp4rT9qLm2", "@db.internal:5432/app"])
            ),
        ),
        (
            "secrets/url-basic-auth",
            "scripts/fetch.sh".into(),
            format!(
                "curl {}\n",
                j(&[
                    "https://deploy:",
                    "Zp4rT9qLm2",
                    "@artifacts.example.com/x.tgz"
                ])
            ),
        ),
        (
            "secrets/generic-secret",
            "app/settings.py".into(),
            format!("{} = \"{}\"\n", "SESSION_SECRET", "Zp4rT9qLm2XvB7nKw8Yc"),
        ),
        (
            "secrets/private-key",
            "config/service-account.json".into(),
            format!(
                "{{\"type\": \"service_account\", \"private_key\": \"{}\\r\\n{}\\r\\n{}\\r\\n\"}}\n",
                j(&["-----BEGIN RSA ", "PRIVATE KEY-----"]),
                pem_body.replace('\n', "\\n"),
                j(&["-----END RSA ", "PRIVATE KEY-----"])
            ),
        ),
        (
            "secrets/google-oauth-client-secret",
            "server/oauth.ts".into(),
            format!(
                "const clientSecret = \"{}\";\n",
                j(&["GOCSPX-", "Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1G"])
            ),
        ),
        (
            "secrets/datadog-api-key",
            "deploy/agent.env".into(),
            format!("DD_API_KEY={}\n", HEX32),
        ),
        (
            "secrets/age-secret-key",
            "secrets/keys.txt".into(),
            format!(
                "# created: 2024-01-01\n{}\n",
                j(&[
                    "AGE-SECRET-KEY-1",
                    "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7LQPZRY9X8GF2TVDW0S3JN54KHCE"
                ])
            ),
        ),
        (
            "secrets/bearer-token",
            "scripts/deploy.sh".into(),
            format!(
                "curl -H \"Authorization: Bearer {}\" https://api.internal/deploy\n",
                j(&["Zp4rT9qLm2", "XvB7nKw8Yc3Hd6"])
            ),
        ),
        (
            "secrets/generic-secret",
            "config/app.properties".into(),
            format!(
                "spring.datasource.password={}\n",
                j(&["Zp4rT9", "qLm2XvB7nK"])
            ),
        ),
        (
            "secrets/generic-secret",
            "config/settings.xml".into(),
            format!(
                "<server>\n  <password>{}</password>\n</server>\n",
                j(&["Zp4rT9", "qLm2XvB7nKw8"])
            ),
        ),
        (
            "secrets/generic-secret",
            "deploy/docker-compose.yml".into(),
            format!(
                "    environment:\n      SECRET_KEY: \"${{SECRET_KEY:-{}}}\"\n",
                "60gp0bYx3Qk8Lm2Zr7Tw4Nv9"
            ),
        ),
        (
            "secrets/secret-file-committed",
            "infra/terraform.tfstate".into(),
            "{\"version\": 4}\n".into(),
        ),
    ]
}

/// Look-alikes that must not be reported.
pub fn decoys() -> Vec<(String, String)> {
    vec![
        ("docs/aws.md".into(), format!("aws_access_key_id = {}\n", j(&["AKIA", "IOSFODNN7", "EXAMPLE"]))),
        ("docs/setup.md".into(), "STRIPE_SECRET_KEY=sk_live_YOUR_KEY_HERE_xxxxxxxxxxxx\n".into()),
        ("app/config.js".into(), "const password = process.env.DB_PASSWORD;\napiKey: \"${API_KEY}\",\n".into()),
        ("app/settings.py".into(), "SECRET_KEY = os.environ['SECRET_KEY']\nPASSWORD = \"changeme\"\nTOKEN = '<token>'\n".into()),
        ("deploy/values.yaml".into(), "password: \"{{ .Values.dbPassword }}\"\n".into()),
        ("keys/id_rsa.pub".into(), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIZp4rT9qLm2XvB7nKw8Yc3Hd6 me@host\n".into()),
        ("certs/ca.pem".into(), j(&["-----BEGIN CERT", "IFICATE-----\nMIIDdzCCAl+gAwIBAgIEZp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5\n-----END CERTIFICATE-----\n"])),
        ("docs/keys.md".into(), format!("{}\n...\n", j(&["-----BEGIN RSA ", "PRIVATE KEY-----"]))),
        ("package-lock.json".into(), "\"integrity\": \"sha512-Zp4rT9qLm2XvB7nKw8Yc3Hd6Jf1Gs5Zp4rT9qLm2XvB7nKw8Yc==\",\n\"token\": \"Zp4rT9qLm2XvB7nKw8Yc3Hd6\"\n".into()),
        ("app/ids.py".into(), "api_key_id = \"123e4567-e89b-12d3-a456-426614174000\"\ntoken_hash = \"d41d8cd98f00b204e9800998ecf8427e\"\n".into()),
        ("web/bundle.min.js".into(), format!("var a={{secret:\"Zp4rT9qLm2XvB7nKw8Yc\"}};{}\n", "x".repeat(50))),
        ("web/logo.css".into(), format!(".logo{{background:url(data:image/png;base64,{})}} /* token: \"Zp4rT9qLm2XvB7nKw8Yc\" */\n", "iVBORw0KGgo".repeat(100))),
        ("scripts/gh.sh".into(), format!("GH={}\n", j(&["ghp_", R30, "AAAAAA"]))),
        ("tests/fixtures.py".into(), format!("FAKE = '{}'  # shipready:allow test value\n", j(&["sk_live_", "Zp4rT9qLm2XvB7nKw8Yc3Hd6"]))),
        ("api/jwt.md".into(), format!("{}\n", j(&["eyJub3Rqc29u", ".", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", ".", "Zp4rT9qLm2XvB7nKw8Yc3Hd6"]))),
        ("docs/db.md".into(), "postgres://user:password@localhost/db and redis://:${REDIS_PASSWORD}@cache\n".into()),
        ("app/passwords.py".into(), "PASSWORD_MIN_LENGTH = \"password\"\nreset_token_url = \"https://example.com/reset\"\n".into()),
        // Constants that name things, header and environment names, module paths.
        ("app/notify.py".into(), "ACCOUNT_PASSWORD_RESET = \"account_password_reset\"\nJWT_INVALID_TOKEN = \"invalid_token\"\nPASSWORD_RESET_LINK_SENT = \"password-reset-link-sent\"\nTOKEN_ENV = \"GITHUB_TOKEN_FOR_RELEASES\"\nAPI_KEY_HEADER = \"X-Api-Key\"\nTOKEN_GENERATOR_CLASS = \"django.contrib.auth.tokens.PasswordResetTokenGenerator\"\nrefresh_token_field = \"refreshTokenValue\"\n".into()),
        // Where a secret lives, not the secret.
        ("app/secret_refs.py".into(), "DB_PASSWORD_SECRET = \"projects/acme-prod/secrets/db-password/versions/latest\"\nSTRIPE_SECRET_ARN = \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe-Zp4rT9\"\n".into()),
        // Interpolations and routes.
        ("app/broker.py".into(), "BROKER_URL = f\"amqp://{USER}:{PASSWORD}@rabbit:5672//\"\nsecret_template = \"{SECRET_PREFIX}-{env}\"\n".into()),
        ("web/routes.ts".into(), "export const forgotPasswordPath = \"/login/forgot_password\";\nconst tokenRoute = '/api/v1/auth/token/refresh';\n".into()),
        // UI text in a locale file.
        ("web/locales/de/common.json".into(), "{\n  \"passwordTooShort\": \"PasswortZuKurz!Bitte9Zeichen\",\n  \"token\": \"Sitzung-abgelaufen.Neu_anmelden7\"\n}\n".into()),
        // A keyword match in test code is set aside, not reported.
        ("tests/test_login.py".into(), "password = \"Zp4rT9qLm2XvB7nKw8Yc\"\n".into()),
    ]
}
