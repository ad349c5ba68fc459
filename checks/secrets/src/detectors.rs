//! One detector per credential family: its rule (with documentation), the
//! regex that finds it, the literal keywords that let the host skip files
//! that cannot contain it, and how a candidate is validated.
//!
//! A detector's secret is the first non-empty capture group of its regex
//! (the whole match when it has none).

use shipready_sdk::{Rule, Severity};

/// How a candidate is confirmed before it is reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Validate {
    /// The format is specific enough.
    Format,
    /// GitHub and npm tokens end in a base62 CRC32 of their random part.
    Checksum,
    /// A password-like value: not a placeholder or a reference.
    Password,
    /// Generic assignments: entropy at least this, and not a hash or UUID.
    Entropy(f64),
    /// A JWT: the header decodes to JSON naming an algorithm.
    Jwt,
    /// Key material after a private key header (the rule's regex includes
    /// the first line of it): long, high-entropy base64, so a header followed
    /// by `...` in documentation is not a key.
    KeyBody,
}

pub struct Detector {
    pub rule: &'static Rule,
    pub regex: &'static str,
    pub keywords: &'static [&'static str],
    /// Only files matching these globs (all files when empty).
    pub globs: &'static [&'static str],
    pub validate: Validate,
    /// Generic detectors yield to specific ones on the same line and skip
    /// machine-written files.
    pub generic: bool,
}

/// Declare a credential rule with documentation in the fixed headings.
macro_rules! secret_rule {
    ($name:ident, $id:literal, $title:literal, $sev:ident, what: $what:literal, example: $example:literal, fix: $fix:literal) => {
        pub static $name: Rule = Rule::new(
            $id,
            $title,
            Severity::$sev,
            concat!(
                "## What it checks\n", $what, "\n\n",
                "## Why it matters\n", "Anyone who can read the repository (every clone, fork, CI cache and backup) can use this \
credential, and leaked credentials are found by automated scanners within minutes of a push. Once committed it \
also stays in the git history after the file is fixed.", "\n\n",
                "## Example\n```text\n", $example, "\n```\n",
                "Use instead: read it at run time from the environment or a secret manager, and commit only a \
placeholder (`", "${", "TOKEN}`, `.env.example`).\n\n",
                "## How to fix\n", $fix, " If it was committed, rotate it first: removing it from the code does not \
remove it from the history. A line that is a deliberate test value can carry a `shipready:allow` comment."
            ),
        );
    };
}

/// The remediation text used in findings.
pub fn fix_of(rule: &Rule) -> String {
    let docs = rule.docs();
    let fix = docs
        .split("## How to fix\n")
        .nth(1)
        .unwrap_or("Rotate the credential and remove it from the code.");
    fix.split(" If it was committed")
        .next()
        .unwrap_or(fix)
        .trim()
        .to_string()
}

secret_rule!(AWS_ACCESS_KEY_ID, "secrets/aws-access-key-id", "AWS access key ID", Critical,
    what: "An AWS access key ID (`AKIA…`, `ASIA…`), usually next to its secret access key.",
    example: "aws_access_key_id = AKIA****************",
    fix: "Deactivate and delete the key in IAM, create a new one, and give the workload an IAM role instead of static keys.");
secret_rule!(AWS_SECRET_ACCESS_KEY, "secrets/aws-secret-access-key", "AWS secret access key", Critical,
    what: "A 40-character AWS secret access key assigned to an `aws…secret…` name.",
    example: "aws_secret_access_key = ****************************************",
    fix: "Deactivate the access key pair in IAM and issue a new one (better: an IAM role).");
secret_rule!(GCP_SERVICE_ACCOUNT, "secrets/gcp-service-account-key", "GCP service account key", Critical,
    what: "A Google Cloud service account key file (JSON with `private_key_id` and `private_key`).",
    example: "{\"type\": \"service_account\", \"private_key_id\": \"…\", \"private_key\": \"-----BEGIN PRIVATE KEY-----…\"}",
    fix: "Delete the key in IAM & Admin > Service accounts and use workload identity instead of key files.");
secret_rule!(GCP_API_KEY, "secrets/gcp-api-key", "Google API key", High,
    what: "A Google API key (`AIza…`).",
    example: "const key = \"AIza***********************************\";",
    fix: "Regenerate the key in the Google Cloud console and restrict it by API and referrer.");
secret_rule!(AZURE_STORAGE_KEY, "secrets/azure-storage-connection-string", "Azure storage account key", Critical,
    what: "An Azure storage connection string with its `AccountKey`.",
    example: "DefaultEndpointsProtocol=https;AccountName=app;AccountKey=****…==",
    fix: "Rotate the storage account key in the Azure portal and use managed identities or SAS tokens with short expiry.");
secret_rule!(AZURE_CLIENT_SECRET, "secrets/azure-client-secret", "Azure AD client secret", High,
    what: "A Microsoft Entra ID (Azure AD) application client secret (`…8Q~…`).",
    example: "AZURE_CLIENT_SECRET=abc8Q~********************************",
    fix: "Delete the secret under App registrations > Certificates & secrets and create a new one (better: a certificate or managed identity).");
secret_rule!(GITHUB_TOKEN, "secrets/github-token", "GitHub token", Critical,
    what: "A GitHub personal access, OAuth, user-to-server, server-to-server or refresh token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) whose built-in checksum is valid.",
    example: "GITHUB_TOKEN=ghp_************************************",
    fix: "Revoke the token in GitHub settings (Developer settings > Personal access tokens) and use a fine-grained token with least privilege from a secret store.");
secret_rule!(GITHUB_FINE_GRAINED_TOKEN, "secrets/github-fine-grained-token", "GitHub fine-grained token", Critical,
    what: "A GitHub fine-grained personal access token (`github_pat_…`).",
    example: "token: github_pat_**********************_***********************************************************",
    fix: "Revoke it in GitHub settings and issue a new one stored in your CI's secret store.");
secret_rule!(GITLAB_TOKEN, "secrets/gitlab-token", "GitLab token", Critical,
    what: "A GitLab personal, deploy, runner, pipeline trigger, feed or CI/CD job token (`glpat-`, `gldt-`, `glrt-`, `glptt-`, …).",
    example: "GITLAB_TOKEN=glpat-********************",
    fix: "Revoke the token in GitLab (User settings > Access tokens, or the project's settings) and create a new one.");
secret_rule!(STRIPE_SECRET_KEY, "secrets/stripe-secret-key", "Stripe live secret key", Critical,
    what: "A Stripe live-mode secret key (`sk_live_…`): full access to the account's payments.",
    example: "STRIPE_SECRET_KEY=sk_live_************************",
    fix: "Roll the key in the Stripe dashboard (Developers > API keys) and keep the new one in a secret store.");
secret_rule!(STRIPE_RESTRICTED_KEY, "secrets/stripe-restricted-key", "Stripe live restricted key", High,
    what: "A Stripe live-mode restricted key (`rk_live_…`).",
    example: "rk_live_************************",
    fix: "Roll the restricted key in the Stripe dashboard.");
secret_rule!(SLACK_TOKEN, "secrets/slack-token", "Slack token", High,
    what: "A Slack bot, user, app or legacy token (`xoxb-`, `xoxp-`, `xoxa-`, …).",
    example: "SLACK_BOT_TOKEN=xoxb-****-****-****",
    fix: "Revoke the token in the Slack app's settings (OAuth & Permissions) and reinstall the app.");
secret_rule!(SLACK_WEBHOOK, "secrets/slack-webhook", "Slack webhook URL", High,
    what: "A Slack incoming webhook or workflow trigger URL: anyone with it can post to the channel.",
    example: "https://hooks.slack.com/services/T*****/B*****/************************",
    fix: "Remove the webhook in the Slack app's Incoming Webhooks page and create a new one.");
secret_rule!(TWILIO_API_KEY, "secrets/twilio-api-key", "Twilio API key", High,
    what: "A Twilio API key SID (`SK` and 32 hexadecimal digits).",
    example: "TWILIO_API_KEY=SK********************************",
    fix: "Delete the API key in the Twilio console and create a new one.");
secret_rule!(SENDGRID_API_KEY, "secrets/sendgrid-api-key", "SendGrid API key", High,
    what: "A SendGrid API key (`SG.…`).",
    example: "SENDGRID_API_KEY=SG.**********************.*******************************************",
    fix: "Delete the key in SendGrid (Settings > API Keys) and create a new one with minimal scopes.");
secret_rule!(MAILGUN_API_KEY, "secrets/mailgun-api-key", "Mailgun API key", High,
    what: "A Mailgun API key (`key-` and 32 hexadecimal digits).",
    example: "MAILGUN_API_KEY=key-********************************",
    fix: "Rotate the key in the Mailgun control panel.");
secret_rule!(TELEGRAM_BOT_TOKEN, "secrets/telegram-bot-token", "Telegram bot token", High,
    what: "A Telegram bot token (`<bot id>:AA…`).",
    example: "TELEGRAM_TOKEN=123456789:AA*********************************",
    fix: "Revoke it with @BotFather (`/revoke`) and use the new token from a secret store.");
secret_rule!(OPENAI_API_KEY, "secrets/openai-api-key", "OpenAI API key", Critical,
    what: "An OpenAI API key (`sk-…T3BlbkFJ…`, project, service-account and admin keys included).",
    example: "OPENAI_API_KEY=sk-proj-****…",
    fix: "Delete the key in the OpenAI dashboard (API keys) and create a new project-scoped key.");
secret_rule!(ANTHROPIC_API_KEY, "secrets/anthropic-api-key", "Anthropic API key", Critical,
    what: "An Anthropic API or admin key (`sk-ant-api…`, `sk-ant-admin…`).",
    example: "ANTHROPIC_API_KEY=sk-ant-api03-****…",
    fix: "Revoke the key in the Anthropic console and create a new one.");
secret_rule!(HUGGINGFACE_TOKEN, "secrets/huggingface-token", "Hugging Face token", High,
    what: "A Hugging Face access token (`hf_…`).",
    example: "HF_TOKEN=hf_**********************************",
    fix: "Invalidate the token in Hugging Face settings (Access Tokens) and create a fine-grained one.");
secret_rule!(NPM_TOKEN, "secrets/npm-token", "npm access token", Critical,
    what: "An npm access token (`npm_…`) whose built-in checksum is valid.",
    example: "//registry.npmjs.org/:_authToken=npm_************************************",
    fix: "Revoke it with `npm token revoke` (or on npmjs.com) and use a granular token from CI secrets.");
secret_rule!(PYPI_TOKEN, "secrets/pypi-token", "PyPI API token", Critical,
    what: "A PyPI upload token (`pypi-AgEIcHlwaS5vcmc…`).",
    example: "password = pypi-AgEIcHlwaS5vcmc****…",
    fix: "Delete the token in PyPI account settings and publish with trusted publishing (OIDC) instead.");
secret_rule!(DOCKERHUB_TOKEN, "secrets/dockerhub-token", "Docker Hub access token", High,
    what: "A Docker Hub personal access token (`dckr_pat_…`).",
    example: "DOCKERHUB_TOKEN=dckr_pat_***************************",
    fix: "Delete the token in Docker Hub (Account settings > Security) and create a new one.");
secret_rule!(NPMRC_AUTH, "secrets/npmrc-auth", "Registry credentials in .npmrc", High,
    what: "An `_authToken`, `_auth` or `_password` with a literal value in an `.npmrc`.",
    example: "//registry.example.com/:_authToken=****",
    fix: "Reference an environment variable instead (`_authToken=${NPM_TOKEN}`) and rotate the token.");
secret_rule!(PYPIRC_PASSWORD, "secrets/pypirc-password", "Registry password in .pypirc", High,
    what: "A literal `password` in a `.pypirc`.",
    example: "[pypi]\nusername = __token__\npassword = ****",
    fix: "Remove the password, use keyring or `TWINE_PASSWORD` from CI secrets, and rotate the token.");
secret_rule!(DOCKER_CONFIG_AUTH, "secrets/docker-config-auth", "Registry credentials in a Docker config", High,
    what: "An `auth` entry (base64 of user:password) in a Docker `config.json` or `.dockercfg`.",
    example: "{\"auths\": {\"registry.example.com\": {\"auth\": \"****\"}}}",
    fix: "Remove the file from the repository, log in from CI with a secret, and change the password or token.");
secret_rule!(VAULT_TOKEN, "secrets/vault-token", "HashiCorp Vault token", Critical,
    what: "A HashiCorp Vault service or batch token (`hvs.…`, `hvb.…`).",
    example: "VAULT_TOKEN=hvs.************************",
    fix: "Revoke it (`vault token revoke`) and authenticate workloads with an auth method instead of static tokens.");
secret_rule!(DIGITALOCEAN_TOKEN, "secrets/digitalocean-token", "DigitalOcean token", Critical,
    what: "A DigitalOcean personal access, OAuth or refresh token (`dop_v1_…`, `doo_v1_…`, `dor_v1_…`).",
    example: "DIGITALOCEAN_TOKEN=dop_v1_****…",
    fix: "Delete the token in the DigitalOcean control panel (API) and create a scoped one.");
secret_rule!(DATABRICKS_TOKEN, "secrets/databricks-token", "Databricks token", High,
    what: "A Databricks personal access token (`dapi…`).",
    example: "DATABRICKS_TOKEN=dapi********************************",
    fix: "Revoke the token in the Databricks workspace (User settings > Access tokens).");
secret_rule!(TERRAFORM_CLOUD_TOKEN, "secrets/terraform-cloud-token", "Terraform Cloud token", High,
    what: "A Terraform Cloud / HCP Terraform API token (`….atlasv1.…`).",
    example: "token = \"**************.atlasv1.****…\"",
    fix: "Revoke it in Terraform Cloud (User or Team settings > Tokens) and use `TF_TOKEN_…` from CI secrets.");
secret_rule!(HEROKU_API_KEY, "secrets/heroku-api-key", "Heroku API key", High,
    what: "A Heroku API key (`HRKU-…`, or a UUID assigned to a `heroku…key` name).",
    example: "HEROKU_API_KEY=HRKU-****…",
    fix: "Regenerate the API key in Heroku account settings, or revoke the authorization.");
secret_rule!(SHOPIFY_TOKEN, "secrets/shopify-token", "Shopify access token", High,
    what: "A Shopify access token or shared secret (`shpat_`, `shpca_`, `shppa_`, `shpss_`).",
    example: "SHOPIFY_TOKEN=shpat_********************************",
    fix: "Uninstall and reinstall the app, or rotate the credentials in the Shopify partner dashboard.");
secret_rule!(POSTMAN_API_KEY, "secrets/postman-api-key", "Postman API key", High,
    what: "A Postman API key (`PMAK-…`).",
    example: "PMAK-************************-**********************************",
    fix: "Revoke the key in Postman (Settings > API keys).");
secret_rule!(GRAFANA_TOKEN, "secrets/grafana-token", "Grafana token", High,
    what: "A Grafana service account token (`glsa_…`) or Grafana Cloud token (`glc_…`).",
    example: "GRAFANA_TOKEN=glsa_********************************_********",
    fix: "Delete the token in Grafana (Service accounts) or Grafana Cloud (Access policies) and create a new one.");
secret_rule!(SENTRY_TOKEN, "secrets/sentry-token", "Sentry auth token", Medium,
    what: "A Sentry organisation or user auth token (`sntrys_…`, `sntryu_…`). DSNs are public and not reported.",
    example: "SENTRY_AUTH_TOKEN=sntrys_****…",
    fix: "Revoke the token in Sentry (Settings > Auth Tokens) and keep the new one in CI secrets.");
secret_rule!(LINEAR_API_KEY, "secrets/linear-api-key", "Linear API key", High,
    what: "A Linear personal API key (`lin_api_…`).",
    example: "LINEAR_API_KEY=lin_api_****************************************",
    fix: "Revoke the key in Linear (Settings > API).");
secret_rule!(DOPPLER_TOKEN, "secrets/doppler-token", "Doppler token", High,
    what: "A Doppler service, CLI, personal or service-account token (`dp.st.…`, `dp.ct.…`, …).",
    example: "DOPPLER_TOKEN=dp.st.prd.****…",
    fix: "Revoke the token in Doppler and issue a new one scoped to the config it needs.");
secret_rule!(PRIVATE_KEY, "secrets/private-key", "Private key", Critical,
    what: "A PEM private key (RSA, EC, DSA, PKCS#8, encrypted or not) with key material after its header. Public keys and certificates are not reported.",
    example: "-----BEGIN RSA PRIVATE KEY-----\nMIIE****…",
    fix: "Replace the key pair (revoke certificates issued for it) and load the new key from a secret store or file outside the repository.");
secret_rule!(OPENSSH_PRIVATE_KEY, "secrets/openssh-private-key", "OpenSSH private key", Critical,
    what: "An OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`).",
    example: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl****…",
    fix: "Remove the public half from every `authorized_keys` and deploy-key list, and generate a new key pair.");
secret_rule!(PGP_PRIVATE_KEY, "secrets/pgp-private-key", "PGP private key", Critical,
    what: "An armored PGP private key block.",
    example: "-----BEGIN PGP PRIVATE KEY BLOCK-----\n****…",
    fix: "Revoke the key (publish a revocation certificate) and create a new one.");
secret_rule!(PUTTY_PRIVATE_KEY, "secrets/putty-private-key", "PuTTY private key", Critical,
    what: "A PuTTY private key file (`PuTTY-User-Key-File-…` with `Private-Lines`).",
    example: "PuTTY-User-Key-File-3: ssh-ed25519\n…\nPrivate-Lines: 1\n****…",
    fix: "Remove the public key from the servers that trust it and generate a new key pair.");
secret_rule!(JWT, "secrets/jwt", "JSON Web Token", Medium,
    what: "A signed JSON Web Token (three base64url parts whose header names an algorithm). A long-lived token in code is a bearer credential.",
    example: "Authorization: Bearer eyJ****.eyJ****.****",
    fix: "Invalidate it (rotate the signing key if it never expires) and fetch tokens at run time.");
secret_rule!(DATABASE_URI_PASSWORD, "secrets/database-uri-password", "Password in a database or broker URI", Critical,
    what: "A password inside a PostgreSQL, MySQL, MongoDB, Redis, AMQP or SQL Server connection URI.",
    example: "DATABASE_URL=postgres://app:****@db.internal:5432/app",
    fix: "Change the database user's password and read the URI from the environment (`DATABASE_URL`).");
secret_rule!(URL_BASIC_AUTH, "secrets/url-basic-auth", "Credentials in a URL", High,
    what: "A user name and password embedded in an `http(s)://` or `ftp://` URL.",
    example: "https://deploy:****@artifacts.example.com/releases",
    fix: "Change the password and pass credentials in a header or from a secret store, not in the URL.");
secret_rule!(GOOGLE_OAUTH_CLIENT_SECRET, "secrets/google-oauth-client-secret", "Google OAuth client secret", High,
    what: "A Google OAuth 2.0 client secret (`GOCSPX-` and 28 characters).",
    example: "GOOGLE_CLIENT_SECRET=GOCSPX-****************************",
    fix: "Reset the client secret in the Google Cloud console (APIs & Services, Credentials) and load it from the environment.");
secret_rule!(DATADOG_API_KEY, "secrets/datadog-api-key", "Datadog API or application key", High,
    what: "A Datadog API key (32 hex characters) or application key (40 hex characters) assigned to a `DD_API_KEY`, `DATADOG_API_KEY`, `DD_APP_KEY` or `DATADOG_APPLICATION_KEY`-like name.",
    example: "DD_API_KEY=********************************",
    fix: "Revoke the key in Datadog (Organization Settings, API Keys or Application Keys) and create a new one.");
secret_rule!(AGE_SECRET_KEY, "secrets/age-secret-key", "age secret key", Critical,
    what: "An `age` encryption identity (`AGE-SECRET-KEY-1` and 58 bech32 characters): it decrypts everything encrypted to its recipient, SOPS files included.",
    example: "AGE-SECRET-KEY-1**********************************************************",
    fix: "Generate a new identity (age-keygen), re-encrypt the files to its recipient, and keep the identity out of the repository.");
secret_rule!(BEARER_TOKEN, "secrets/bearer-token", "Bearer token in a command or script", High,
    what: "An `Authorization: Bearer` header with a literal, random-looking token, as in a `curl` command, a shell script or an HTTP client file.",
    example: "curl -H \"Authorization: Bearer ****************\" https://api.example.com",
    fix: "Revoke the token and read it from the environment (`Authorization: Bearer $API_TOKEN`).");
secret_rule!(GENERIC_SECRET, "secrets/generic-secret", "Hard-coded secret", Medium,
    what: "A value of high entropy assigned to a name like `password`, `secret`, `token`, `api_key` or `client_secret`: a string literal in code, an unquoted `KEY=value` in `.env`, `.properties`, `.ini` and YAML files, a hard-coded default in an interpolation (`${SECRET_KEY:-...}`), an XML `<password>` element. Not reported: placeholders, references (`${X}`, `process.env.X`, `{PASSWORD}`), hashes, UUIDs, lockfiles, locale files, and values that name something (`\"password_reset_link_sent\"`, `\"X-Api-Key\"`, a module path, a route, a secret manager's path). Matches in test code, docs and examples are counted in `secrets/set-aside` instead.",
    example: "DB_PASSWORD = \"****************\"",
    fix: "Move the value to the environment or a secret manager and change it.");

/// Every detector, specific ones first (generic ones yield to them).
pub static DETECTORS: &[Detector] = &[
    d(
        &AWS_ACCESS_KEY_ID,
        r"\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b",
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        Validate::Format,
    ),
    d(
        &AWS_SECRET_ACCESS_KEY,
        r#"(?i)aws_?(?:secret_?access_?key|secret_?key|secret)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        &["aws"],
        Validate::Entropy(3.5),
    ),
    d(
        &GCP_SERVICE_ACCOUNT,
        r#""private_key_id"\s*:\s*"([0-9a-f]{40})""#,
        &["private_key_id"],
        Validate::Format,
    ),
    d(
        &GCP_API_KEY,
        r"\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
        &["AIza"],
        Validate::Format,
    ),
    d(
        &AZURE_STORAGE_KEY,
        r"AccountKey=([A-Za-z0-9+/]{86}==)",
        &["AccountKey="],
        Validate::Format,
    ),
    d(
        &AZURE_CLIENT_SECRET,
        r"(?:^|[^A-Za-z0-9_~.\-])([A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)",
        &["Q~"],
        Validate::Format,
    ),
    d(
        &GITHUB_TOKEN,
        r"\b(gh[pousr]_[A-Za-z0-9]{36})\b",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        Validate::Checksum,
    ),
    d(
        &GITHUB_FINE_GRAINED_TOKEN,
        r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        &["github_pat_"],
        Validate::Format,
    ),
    d(
        &GITLAB_TOKEN,
        r"\b((?:glpat|gldt|glrt|glptt|glft|glsoat|glcbt)-[A-Za-z0-9_\-]{20,})",
        &[
            "glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glsoat-", "glcbt-",
        ],
        Validate::Format,
    ),
    d(
        &STRIPE_SECRET_KEY,
        r"\b(sk_live_[A-Za-z0-9]{24,247})\b",
        &["sk_live_"],
        Validate::Format,
    ),
    d(
        &STRIPE_RESTRICTED_KEY,
        r"\b(rk_live_[A-Za-z0-9]{24,247})\b",
        &["rk_live_"],
        Validate::Format,
    ),
    d(
        &SLACK_TOKEN,
        r"\b(xox[abposr]-[0-9]{6,}-[A-Za-z0-9-]{8,250})\b",
        &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"],
        Validate::Format,
    ),
    d(
        &SLACK_WEBHOOK,
        r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_]{30,120})",
        &["hooks.slack.com"],
        Validate::Format,
    ),
    d(
        &TWILIO_API_KEY,
        r"\b(SK[0-9a-f]{32})\b",
        &["SK"],
        Validate::Format,
    ),
    d(
        &SENDGRID_API_KEY,
        r"\b(SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)",
        &["SG."],
        Validate::Format,
    ),
    d(
        &MAILGUN_API_KEY,
        r"\b(key-[0-9a-f]{32})\b",
        &["key-"],
        Validate::Format,
    ),
    d(
        &TELEGRAM_BOT_TOKEN,
        r"\b([0-9]{8,10}:AA[0-9A-Za-z_\-]{33})(?:[^0-9A-Za-z_\-]|$)",
        &[":AA"],
        Validate::Format,
    ),
    d(
        &OPENAI_API_KEY,
        r"\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{10,200}T3BlbkFJ[A-Za-z0-9_\-]{10,200})",
        &["T3BlbkFJ"],
        Validate::Format,
    ),
    d(
        &ANTHROPIC_API_KEY,
        r"\b(sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\-]{80,120})",
        &["sk-ant-"],
        Validate::Format,
    ),
    d(
        &HUGGINGFACE_TOKEN,
        r"\b(hf_[A-Za-z]{34})\b",
        &["hf_"],
        Validate::Format,
    ),
    d(
        &NPM_TOKEN,
        r"\b(npm_[A-Za-z0-9]{36})\b",
        &["npm_"],
        Validate::Checksum,
    ),
    d(
        &PYPI_TOKEN,
        r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
        &["pypi-AgEIcHlwaS5vcmc"],
        Validate::Format,
    ),
    d(
        &DOCKERHUB_TOKEN,
        r"\b(dckr_pat_[A-Za-z0-9_\-]{27})(?:[^A-Za-z0-9_\-]|$)",
        &["dckr_pat_"],
        Validate::Format,
    ),
    f(
        &NPMRC_AUTH,
        r#"(?m)^\s*(?:\S*:)?_(?:authToken|auth|password)\s*=\s*["']?([^\s"']{6,})"#,
        &["_auth", "_password"],
        &[".npmrc"],
    ),
    f(
        &PYPIRC_PASSWORD,
        r"(?m)^\s*password\s*[=:]\s*(\S{6,})",
        &["password"],
        &[".pypirc"],
    ),
    f(
        &DOCKER_CONFIG_AUTH,
        r#""auth"\s*:\s*"([A-Za-z0-9+/=]{12,})""#,
        &["\"auth\""],
        &["config.json", ".dockercfg"],
    ),
    d(
        &VAULT_TOKEN,
        r"\b(hv[sb]\.[A-Za-z0-9_\-]{24,})",
        &["hvs.", "hvb."],
        Validate::Format,
    ),
    d(
        &DIGITALOCEAN_TOKEN,
        r"\b(do[opr]_v1_[a-f0-9]{64})\b",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        Validate::Format,
    ),
    d(
        &DATABRICKS_TOKEN,
        r"\b(dapi[a-f0-9]{32}(?:-[0-9])?)\b",
        &["dapi"],
        Validate::Format,
    ),
    d(
        &TERRAFORM_CLOUD_TOKEN,
        r"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-=]{60,70})",
        &[".atlasv1."],
        Validate::Format,
    ),
    d(
        &HEROKU_API_KEY,
        r#"(?:\b(HRKU-[A-Za-z0-9_\-]{60})|(?i:heroku)[A-Za-z0-9_ .\-]{0,20}(?i:key|token|secret)["']?\s*[:=]\s*["']?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))"#,
        &["HRKU-", "heroku"],
        Validate::Format,
    ),
    d(
        &SHOPIFY_TOKEN,
        r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        Validate::Format,
    ),
    d(
        &POSTMAN_API_KEY,
        r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
        &["PMAK-"],
        Validate::Format,
    ),
    d(
        &GRAFANA_TOKEN,
        r"\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})",
        &["glsa_", "glc_"],
        Validate::Format,
    ),
    d(
        &SENTRY_TOKEN,
        r"\b(sntry[su]_[A-Za-z0-9+/=_\-]{40,})",
        &["sntrys_", "sntryu_"],
        Validate::Format,
    ),
    d(
        &LINEAR_API_KEY,
        r"\b(lin_api_[A-Za-z0-9]{40})\b",
        &["lin_api_"],
        Validate::Format,
    ),
    d(
        &DOPPLER_TOKEN,
        r"\b(dp\.(?:st|ct|pt|sa|scim|audit)\.[A-Za-z0-9_.\-]{40,60})",
        &[
            "dp.st.",
            "dp.ct.",
            "dp.pt.",
            "dp.sa.",
            "dp.scim.",
            "dp.audit.",
        ],
        Validate::Format,
    ),
    d(
        &PRIVATE_KEY,
        // Raw, or inside a string with `\n` / `\r\n` escapes (a JSON key file).
        r"-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----(?:(?:\\r)?\\n(?:\\r)?(?:\\n)?|\r?\n(?:[A-Za-z-]+: [^\n]*\r?\n)*\r?\n?)[ \t]*([A-Za-z0-9+/=]{40,})",
        &["PRIVATE KEY-----"],
        Validate::KeyBody,
    ),
    d(
        &OPENSSH_PRIVATE_KEY,
        r"-----BEGIN OPENSSH PRIVATE KEY-----\r?\n[ \t]*([A-Za-z0-9+/=]{40,})",
        &["OPENSSH PRIVATE KEY"],
        Validate::KeyBody,
    ),
    d(
        &PGP_PRIVATE_KEY,
        r"-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n(?:[A-Za-z-]+: [^\n]*\r?\n)*\r?\n?[ \t]*([A-Za-z0-9+/=]{40,})",
        &["PGP PRIVATE KEY"],
        Validate::KeyBody,
    ),
    d(
        &PUTTY_PRIVATE_KEY,
        r"PuTTY-User-Key-File-[0-9]+:[^\n]*\n(?:[^\n]*\n){0,6}?Private-Lines: [0-9]+\r?\n([A-Za-z0-9+/=]{20,})",
        &["PuTTY-User-Key-File-"],
        Validate::KeyBody,
    ),
    d(
        &JWT,
        r"\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})",
        &["eyJ"],
        Validate::Jwt,
    ),
    d(
        &DATABASE_URI_PASSWORD,
        r#"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|cockroachdb)://[^:/\s'"@]+:([^@/\s'"]+)@"#,
        &["://"],
        Validate::Password,
    ),
    d(
        &URL_BASIC_AUTH,
        r#"\b(?:https?|ftp)://[^:/\s'"@]+:([^@/\s'"]+)@[A-Za-z0-9.\-]+"#,
        &["://"],
        Validate::Password,
    ),
    d(
        &GOOGLE_OAUTH_CLIENT_SECRET,
        r"\b(GOCSPX-[A-Za-z0-9_\-]{28})(?:[^A-Za-z0-9_\-]|$)",
        &["GOCSPX-"],
        Validate::Format,
    ),
    d(
        &DATADOG_API_KEY,
        r#"(?i)(?:dd|datadog)_?(?:api_?key|app_?key|application_?key)["']?\s*[:=]\s*["']?([a-f0-9]{40}|[a-f0-9]{32})(?:[^a-f0-9]|$)"#,
        &["dd_", "datadog", "ddapi", "ddapp"],
        Validate::Format,
    ),
    d(
        &AGE_SECRET_KEY,
        r"\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
        &["AGE-SECRET-KEY-1"],
        Validate::Format,
    ),
    Detector {
        rule: &BEARER_TOKEN,
        regex: r"(?i)authorization:\s*bearer\s+([A-Za-z0-9._~+/\-]{20,}=*)",
        keywords: &["bearer"],
        globs: &[],
        validate: Validate::Entropy(3.5),
        generic: true,
    },
    // Unquoted `KEY=value` / `key: value` in configuration files.
    Detector {
        rule: &GENERIC_SECRET,
        regex: r#"(?im)^[ \t]*(?:export[ \t]+|-[ \t]+)?[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|auth_?key|private_?key|client_?secret)[A-Za-z0-9_.\-]*[ \t]*[:=][ \t]*([^\s"'#]{8,200})[ \t]*(?:#.*)?\r?$"#,
        keywords: &["pass", "pwd", "secret", "token", "key"],
        globs: &[
            "**/.env",
            "**/.env.*",
            "**/*.env",
            "**/*.properties",
            "**/*.ini",
            "**/*.cfg",
            "**/*.conf",
            "**/*.yml",
            "**/*.yaml",
        ],
        validate: Validate::Entropy(3.3),
        generic: true,
    },
    // XML elements: `<password>...</password>`, `<add key="ApiSecret">` aside.
    Detector {
        rule: &GENERIC_SECRET,
        regex: r"(?i)<[A-Za-z0-9_.:\-]*(?:password|passwd|secret|token|api_?key|apikey)[A-Za-z0-9_.\-]*>([^<\s]{8,200})</",
        keywords: &["pass", "secret", "token", "key"],
        globs: &["**/*.xml", "**/*.config", "**/*.xaml", "**/*.plist"],
        validate: Validate::Entropy(3.3),
        generic: true,
    },
    Detector {
        rule: &GENERIC_SECRET,
        regex: r#"(?i)[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|auth_?key|private_?key|client_?secret)[A-Za-z0-9_.\-]*["']?\s*(?::=|=>|[:=])\s*["']([^"'\s]{8,200})["']"#,
        keywords: &["pass", "pwd", "secret", "token", "key"],
        globs: &[],
        validate: Validate::Entropy(3.3),
        generic: true,
    },
];

const fn d(
    rule: &'static Rule,
    regex: &'static str,
    keywords: &'static [&'static str],
    validate: Validate,
) -> Detector {
    Detector {
        rule,
        regex,
        keywords,
        globs: &[],
        validate,
        generic: false,
    }
}

const fn f(
    rule: &'static Rule,
    regex: &'static str,
    keywords: &'static [&'static str],
    globs: &'static [&'static str],
) -> Detector {
    Detector {
        rule,
        regex,
        keywords,
        globs,
        validate: Validate::Password,
        generic: false,
    }
}
