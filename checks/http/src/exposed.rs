//! Files that must never be served, each confirmed by what it contains, so
//! a site that answers 200 with its app to every path (a soft 404) is not
//! reported.

/// A path to request and how to tell the real file from an app page.
pub struct Probe {
    pub path: &'static str,
    pub what: &'static str,
    pub confirm: fn(&[u8]) -> bool,
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = text(&body[..body.len().min(512)]).to_ascii_lowercase();
    head.trim_start().starts_with('<') || head.contains("<html") || head.contains("<!doctype")
}

fn git_config(body: &[u8]) -> bool {
    let t = text(body);
    t.contains("[core]") && (t.contains("repositoryformatversion") || t.contains("bare ="))
}

/// `KEY=value` lines and nothing that looks like a page.
fn env_file(body: &[u8]) -> bool {
    if looks_like_html(body) {
        return false;
    }
    let t = text(body);
    let assignments = t
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| {
            l.split_once('=').is_some_and(|(k, _)| {
                let k = k.trim().trim_start_matches("export ");
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
        })
        .count();
    assignments >= 1
}

fn ds_store(body: &[u8]) -> bool {
    body.len() >= 8 && body[..4] == [0, 0, 0, 1] && &body[4..8] == b"Bud1"
}

fn sql_dump(body: &[u8]) -> bool {
    if looks_like_html(body) {
        return false;
    }
    let t = text(body);
    t.contains("-- MySQL dump")
        || t.contains("PostgreSQL database dump")
        || t.contains("CREATE TABLE")
        || t.contains("INSERT INTO")
        || t.starts_with("SQLite format 3")
}

fn archive(body: &[u8]) -> bool {
    body.starts_with(b"PK\x03\x04")
        || body.starts_with(&[0x1f, 0x8b])
        || body.starts_with(b"7z\xbc\xaf")
}

fn server_status(body: &[u8]) -> bool {
    let t = text(body);
    t.contains("Apache Server Status")
        || (t.contains("Server Version:") && t.contains("Current Time:"))
}

pub const PROBES: &[Probe] = &[
    Probe {
        path: "/.git/config",
        what: "the git repository's configuration (the source code and its history can be downloaded)",
        confirm: git_config,
    },
    Probe {
        path: "/.env",
        what: "an environment file (production secrets)",
        confirm: env_file,
    },
    Probe {
        path: "/.env.local",
        what: "an environment file (secrets)",
        confirm: env_file,
    },
    Probe {
        path: "/.env.production",
        what: "an environment file (production secrets)",
        confirm: env_file,
    },
    Probe {
        path: "/.env.backup",
        what: "an environment file backup (secrets)",
        confirm: env_file,
    },
    Probe {
        path: "/.DS_Store",
        what: "a macOS folder index (lists the files on the server)",
        confirm: ds_store,
    },
    Probe {
        path: "/backup.sql",
        what: "a database dump",
        confirm: sql_dump,
    },
    Probe {
        path: "/dump.sql",
        what: "a database dump",
        confirm: sql_dump,
    },
    Probe {
        path: "/database.sql",
        what: "a database dump",
        confirm: sql_dump,
    },
    Probe {
        path: "/db.sqlite3",
        what: "a SQLite database",
        confirm: sql_dump,
    },
    Probe {
        path: "/backup.zip",
        what: "a backup archive",
        confirm: archive,
    },
    Probe {
        path: "/backup.tar.gz",
        what: "a backup archive",
        confirm: archive,
    },
    Probe {
        path: "/server-status",
        what: "Apache's status page (clients, URLs being served)",
        confirm: server_status,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_files_are_confirmed_and_app_pages_are_not() {
        let app = b"<!doctype html><html><body>My app</body></html>";
        for p in PROBES {
            assert!(!(p.confirm)(app), "{}", p.path);
            assert!(!(p.confirm)(b"Not Found"), "{}", p.path);
        }
        assert!(env_file(
            b"DATABASE_URL=postgres://x\n# comment\nexport API_KEY=1\n"
        ));
        assert!(git_config(b"[core]\n\trepositoryformatversion = 0\n"));
        assert!(ds_store(b"\0\0\0\x01Bud1\0\0"));
        assert!(sql_dump(b"-- MySQL dump 10.13\nCREATE TABLE users"));
        assert!(server_status(b"<html><h1>Apache Server Status for x</h1>"));
    }
}
