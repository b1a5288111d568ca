//! A PostgreSQL cluster of one test's own, for faults that the shared test
//! cluster must not suffer (a restart). Started like tests/env/with-services
//! starts the shared one: as `postgres` when root, on a unix socket only.

use std::path::PathBuf;
use std::process::Command;

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    root: bool,
}

impl Cluster {
    fn run(&self, program: &str, args: &[&str]) {
        let bin = self.bin.join(program);
        let mut cmd = if self.root {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        let out = cmd.args(args).output().expect("run postgres tool");
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn data(&self) -> String {
        self.dir.path().join("pg").to_string_lossy().into_owned()
    }

    fn sock(&self) -> String {
        self.dir.path().join("sock").to_string_lossy().into_owned()
    }

    pub fn start() -> Cluster {
        let out = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .expect("pg_config");
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let root = nix::unistd::geteuid().is_root();
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir_all(dir.path().join("sock")).expect("sock");
        if root {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            Command::new("chown")
                .args(["postgres:", &dir.path().join("sock").to_string_lossy()])
                .status()
                .expect("chown");
        }
        let c = Cluster { dir, bin, root };
        if root {
            let pg = c.dir.path().join("pg");
            std::fs::create_dir_all(&pg).expect("pg");
            Command::new("chown")
                .args(["postgres:", &pg.to_string_lossy()])
                .status()
                .expect("chown");
        }
        c.run(
            "initdb",
            &[
                "-D",
                &c.data(),
                "-U",
                "bilet",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-N",
                "--no-instructions",
            ],
        );
        c.pg_ctl("start");
        c
    }

    fn pg_ctl(&self, what: &str) {
        let options = format!(
            "-c listen_addresses='' -p 5432 -c unix_socket_directories={} -c fsync=off -c synchronous_commit=off",
            self.sock()
        );
        let log = self
            .dir
            .path()
            .join("sock/pg.log")
            .to_string_lossy()
            .into_owned();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-w",
                "-s",
                "-m",
                "fast",
                what,
                "-o",
                &options,
            ],
        );
    }

    /// A fast shutdown, then a start: every connection is cut.
    pub fn restart(&self) {
        self.pg_ctl("restart");
    }

    pub fn url(&self) -> String {
        format!(
            "postgres://bilet@localhost/postgres?host={}&port=5432",
            self.sock()
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(if self.root { "setpriv" } else { "true" })
            .args(if self.root {
                vec![
                    "--reuid=postgres",
                    "--regid=postgres",
                    "--init-groups",
                    "--",
                ]
            } else {
                vec![]
            })
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}
