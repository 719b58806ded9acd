//! Server processes: `initdb` and `postgres` from the installed binaries (as the `postgres`
//! user when running as root), in private directories that a watchdog removes however
//! the test process ends, and clusters a test owns to stop, restart or serve over TLS.

use diesel::{Connection, PgConnection};
use std::ffi::OsString;
use std::fs::{self, File, Permissions};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The socket lives in a private directory, so the default port cannot clash with anything.
pub const PORT: &str = "5432";

const NO_BINARIES: &str = "the API tests need PostgreSQL: no server binaries (initdb and postgres) \
     were found in $PG_BIN, on $PATH or in /usr/lib/postgresql/*/bin. Install them \
     (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql`), point PG_BIN \
     at their directory, or set TEST_DATABASE_URL=postgres://user:password@host:5432/postgres \
     to use a running server.";

const ROOT_WITHOUT_POSTGRES_USER: &str = "running as root, which initdb refuses: create a \
     `postgres` system user to run the test cluster as (`useradd --system postgres`; Debian's \
     postgresql package creates one), or set TEST_DATABASE_URL";

const INITDB_ARGS: &str = "-U postgres --auth=trust -E UTF8 --no-locale --no-sync";
/// Durability buys nothing in a cluster deleted at exit.
const POSTGRES_ARGS: &str = "-c listen_addresses= -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_connections=500";

/// Starts `initdb` + `postgres` in a fresh private directory, listening on a unix socket only.
pub(super) fn start_cluster(run_id: &str) -> Result<(PathBuf, ChildStdin), String> {
    let (dir, watchdog) = init_cluster(run_id)?;
    let bin = find_bin_dir(&["initdb", "postgres"]).ok_or(NO_BINARIES)?;
    launch_postgres(&dir, &bin, server_owner()?, &Listen::socket_only())?;
    Ok((dir, watchdog))
}

/// Creates a cluster (`initdb`) in a fresh private directory, not yet started.
fn init_cluster(run_id: &str) -> Result<(PathBuf, ChildStdin), String> {
    let bin = find_bin_dir(&["initdb", "postgres"]).ok_or(NO_BINARIES)?;
    let owner = server_owner()?;
    let dir = std::env::temp_dir().join(format!("gatehouse-pg-{run_id}"));
    let (data, log_path, initdb_pgid) = (dir.join("data"), dir.join("log"), dir.join("initdb.pgid"));
    let io = |what: &str, e: std::io::Error| format!("{what} in {}: {e}", dir.display());
    fs::create_dir(&dir).map_err(|e| io("creating the test cluster directory", e))?;
    // Watching from before anything exists means every failure below also gets cleaned up.
    let watchdog = spawn_watchdog(&[("PG_DIR", dir.clone().into())])?;
    fs::set_permissions(&dir, Permissions::from_mode(0o700)).map_err(|e| io("chmod", e))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(|e| io("chown", e))?;
    }
    let log = File::create(&log_path).map_err(|e| io("creating the log", e))?;
    // Failing drops the watchdog's pipe, which deletes the directory: the log's end goes in the message.
    let failed =
        |what: String| format!("{what}; the end of {}:\n{}", log_path.display(), log_tail(&log_path));
    // Own process groups, out of reach of the terminal's Ctrl-C: stopping is the watchdog's job.
    let command = |program: &str| -> Result<Command, String> {
        let mut cmd = Command::new(bin.join(program));
        cmd.arg("-D").arg(&data).current_dir(&dir).process_group(0);
        let log = || log.try_clone().map_err(|e| io("sharing the log", e));
        cmd.stdin(Stdio::null()).stdout(log()?).stderr(log()?);
        if let Some((uid, gid)) = owner {
            cmd.uid(uid).gid(gid);
        }
        Ok(cmd)
    };
    let mut initdb = command("initdb")?
        .args(INITDB_ARGS.split(' '))
        .spawn()
        .map_err(|e| failed(format!("starting initdb: {e}")))?;
    // Lets the watchdog stop initdb if this process dies in the middle of it.
    fs::write(&initdb_pgid, initdb.id().to_string()).map_err(|e| io("writing", e))?;
    match initdb.wait() {
        Ok(status) if status.success() => fs::remove_file(&initdb_pgid).map_err(|e| io("rm", e))?,
        other => return Err(failed(format!("initdb failed: {other:?}"))),
    }
    Ok((dir, watchdog))
}

/// How a cluster listens: on its directory's unix socket at `port`, plus whatever
/// `extra` settings (`-c name=value` pairs) a test needs.
#[derive(Clone)]
struct Listen {
    port: String,
    extra: Vec<String>,
}

impl Listen {
    fn socket_only() -> Self {
        Self { port: PORT.into(), extra: Vec::new() }
    }
}

/// Starts the server of the cluster in `dir` and waits until it accepts connections.
fn launch_postgres(dir: &Path, bin: &Path, owner: Option<(u32, u32)>, listen: &Listen) -> Result<(), String> {
    let log_path = dir.join("log");
    let failed =
        |what: String| format!("{what}; the end of {}:\n{}", log_path.display(), log_tail(&log_path));
    let log = fs::OpenOptions::new().append(true).open(&log_path).map_err(|e| failed(format!("log: {e}")))?;
    let log = || log.try_clone().map_err(|e| failed(format!("sharing the log: {e}")));
    let mut command = Command::new(bin.join("postgres"));
    command.arg("-D").arg(dir.join("data")).current_dir(dir).process_group(0);
    command.stdin(Stdio::null()).stdout(log()?).stderr(log()?);
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
    let mut postgres = command
        .arg("-k")
        .arg(dir)
        .args(["-p", &listen.port])
        .args(POSTGRES_ARGS.split_whitespace())
        .args(&listen.extra)
        .spawn()
        .map_err(|e| failed(format!("starting postgres: {e}")))?;
    let admin_url =
        format!("postgres://postgres@/postgres?host={}&port={}", percent_encode(dir), listen.port);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = postgres.try_wait() {
            return Err(failed(format!("postgres exited at start-up ({status})")));
        }
        match PgConnection::establish(&admin_url) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(failed(format!("postgres refused connections for 30s: {e}")));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A cluster of a test's own: one the test stops and starts again, or one that takes
/// only TLS connections over TCP. Removed, like the shared one, by its watchdog.
pub struct OwnCluster {
    dir: PathBuf,
    listen: Listen,
    _watchdog: ChildStdin,
}

impl OwnCluster {
    pub fn start() -> Self {
        Self::launch(Self::init(), Listen::socket_only())
    }

    /// Listens on 127.0.0.1 with a self-signed certificate, and its `pg_hba.conf` admits
    /// TCP clients only over TLS (`hostssl`).
    pub fn start_tls_only() -> Self {
        let (dir, watchdog) = Self::init();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // A CA of its own, and a server certificate it signed for this address: what a
        // private CA looks like to a client told `sslmode=verify-full&sslrootcert=ca.crt`.
        fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
        let ca =
            "-x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=gatehouse-test-CA -keyout ca.key -out ca.crt";
        let request = "-newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr";
        let sign = "-req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile server.ext -out server.crt";
        for (command, args) in [("req", ca), ("req", request), ("x509", sign)] {
            let openssl = Command::new("openssl")
                .arg(command)
                .args(args.split(' '))
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            assert!(
                matches!(openssl, Ok(s) if s.success()),
                "the TLS test needs the openssl command to make certificates"
            );
        }
        fs::write(dir.join("data/pg_hba.conf"), "local all all trust\nhostssl all all 127.0.0.1/32 trust\n")
            .unwrap();
        let owner = server_owner().unwrap_or_else(|e| panic!("{e}"));
        for file in ["server.key", "server.crt", "data/pg_hba.conf"] {
            fs::set_permissions(dir.join(file), Permissions::from_mode(0o600)).unwrap();
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(dir.join(file), Some(uid), Some(gid)).unwrap();
            }
        }
        let setting = |name: &str, value: String| ["-c".to_owned(), format!("{name}={value}")];
        let extra = [
            setting("listen_addresses", "127.0.0.1".into()),
            setting("ssl", "on".into()),
            setting("ssl_cert_file", dir.join("server.crt").display().to_string()),
            setting("ssl_key_file", dir.join("server.key").display().to_string()),
        ]
        .concat();
        Self::launch((dir, watchdog), Listen { port: port.to_string(), extra })
    }

    fn init() -> (PathBuf, ChildStdin) {
        let run_id = format!("{}_{:08x}_own", std::process::id(), rand::random::<u32>());
        init_cluster(&run_id).unwrap_or_else(|e| panic!("{e}"))
    }

    fn launch((dir, watchdog): (PathBuf, ChildStdin), listen: Listen) -> Self {
        let cluster = Self { dir, listen, _watchdog: watchdog };
        cluster.restart();
        cluster
    }

    /// Its `postgres` database, over the unix socket.
    pub fn database_url(&self) -> String {
        format!("postgres://postgres@/postgres?host={}&port={}", percent_encode(&self.dir), self.listen.port)
    }

    /// The CA that signed a TLS-only cluster's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// Its `postgres` database over TCP, with libpq's `sslmode` set to `sslmode`.
    pub fn tcp_url(&self, sslmode: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres?sslmode={sslmode}", self.listen.port)
    }

    /// A fast shutdown: every connection is cut, new ones are refused.
    pub fn stop(&self) {
        let pid_file = self.dir.join("data/postmaster.pid");
        let pid = fs::read_to_string(&pid_file).unwrap_or_default();
        let pid = pid.lines().next().unwrap_or_default().trim().to_owned();
        let sent = Command::new("kill").args(["-INT", &pid]).status().map(|s| s.success());
        assert!(matches!(sent, Ok(true)), "could not signal postgres (pid {pid:?})");
        let deadline = Instant::now() + Duration::from_secs(30);
        while pid_file.exists() {
            assert!(Instant::now() < deadline, "postgres did not stop within 30s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn restart(&self) {
        let bin = find_bin_dir(&["initdb", "postgres"]).expect(NO_BINARIES);
        let owner = server_owner().unwrap_or_else(|e| panic!("{e}"));
        launch_postgres(&self.dir, &bin, owner, &self.listen).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Runs when its stdin closes, i.e. when the test process has exited. In its own process group
/// and ignoring signals, so the Ctrl-C that ends `cargo test` doesn't end the cleanup too.
const WATCHDOG: &str = r#"trap '' HUP INT QUIT TERM
cat >/dev/null
if [ -n "$PSQL" ]; then
  "$PSQL" -XAtq -d "$ADMIN_URL" -c "$DROP_SQL" | "$PSQL" -Xq -d "$ADMIN_URL"
fi
if [ -n "$PG_DIR" ]; then
  [ -f "$PG_DIR/initdb.pgid" ] && kill -KILL -"$(cat "$PG_DIR/initdb.pgid")" 2>/dev/null
  pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
  # Shutdown ends by deleting postmaster.pid; the pid itself may linger as an unreaped zombie.
  if [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; then
    i=0
    while [ -f "$PG_DIR/data/postmaster.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ $i -lt 100 ] || kill -KILL "$pid" 2>/dev/null
  fi
  rm -rf "$PG_DIR"
fi"#;

pub(super) fn spawn_watchdog(env: &[(&str, OsString)]) -> Result<ChildStdin, String> {
    let mut child = Command::new("sh")
        .args(["-c", WATCHDOG])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting the cleanup watchdog (sh): {e}"))?;
    child.stdin.take().ok_or_else(|| "the watchdog has no stdin".into())
}

/// First of $PG_BIN, $PATH and the newest /usr/lib/postgresql/<version>/bin that has all `names`.
pub(super) fn find_bin_dir(names: &[&str]) -> Option<PathBuf> {
    let dirs_in = |var| {
        std::env::var_os(var).map(|v| std::env::split_paths(&v).collect::<Vec<_>>()).unwrap_or_default()
    };
    let mut versioned: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version =
                entry.file_name().to_str()?.split('.').map(str::parse).collect::<Result<_, _>>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versioned.sort();
    dirs_in("PG_BIN")
        .into_iter()
        .chain(dirs_in("PATH"))
        .chain(versioned.into_iter().rev().map(|(_, dir)| dir))
        .find(|dir| names.iter().all(|name| dir.join(name).is_file()))
}

/// initdb and postgres refuse to run as root, so as root they run as `postgres` instead.
fn server_owner() -> Result<Option<(u32, u32)>, String> {
    let id = |args: &[&str]| -> Option<u32> {
        let out = Command::new("id").args(args).stderr(Stdio::null()).output().ok()?;
        out.status.success().then_some(())?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    if id(&["-u"]) != Some(0) {
        return Ok(None);
    }
    match (id(&["-u", "postgres"]), id(&["-g", "postgres"])) {
        (Some(uid), Some(gid)) => Ok(Some((uid, gid))),
        _ => Err(ROOT_WITHOUT_POSTGRES_USER.into()),
    }
}

fn log_tail(path: &Path) -> String {
    let log = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

pub(super) fn percent_encode(path: &Path) -> String {
    let mut encoded = String::new();
    for &b in path.as_os_str().as_bytes() {
        match b {
            b'/' | b'.' | b'_' | b'~' | b'-' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => {
                encoded.push(char::from(b))
            }
            _ => encoded += &format!("%{b:02X}"),
        }
    }
    encoded
}
