//! Protocol corners driven by an independent C client (libmariadb): cursors with COM_STMT_FETCH,
//! COM_STMT_SEND_LONG_DATA, COM_STMT_RESET, COM_FIELD_LIST, COM_SET_OPTION, COM_STATISTICS and
//! COM_PING. The client (tests/clients/protocol_corners.c) is compiled with the system C compiler
//! against libmariadb-dev (installed by scripts/test.sh); its output through sluice must equal
//! its output against the primary.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::{each_flavor, Sluice};

fn client_binary() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/protocol_corners.c");
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("protocol_corners");
        let flags = Command::new("mariadb_config")
            .args(["--cflags", "--libs"])
            .output()
            .expect("mariadb_config (apt-get install libmariadb-dev; scripts/test.sh does)");
        assert!(flags.status.success(), "mariadb_config failed");
        let flags = String::from_utf8(flags.stdout).expect("utf8 flags");
        let status = Command::new("cc")
            .arg("-O1")
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .args(flags.split_whitespace())
            .status()
            .expect("run cc");
        assert!(status.success(), "compiling {} failed", src.display());
        out
    })
}

fn run_client(port: u16, table: &str) -> String {
    let out = Command::new(client_binary())
        .arg(port.to_string())
        .arg(table)
        .output()
        .expect("run protocol_corners client");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "client against port {port} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn c_client_protocol_corners_match_direct() {
    each_flavor("corners", |ctx| {
        let direct = run_client(ctx.flavor.primary_port(), &ctx.name("direct"));
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let through = run_client(sluice.port, &ctx.name("sluice"));
        let expect_lines = [
            "cursor_rows=5",
            "cursor_sum=15",
            "cursor_rows_after_reset=5",
            "long_data_length=3145728",
            "multi_off_refused=1",
            "multi_on_sets=2",
            "statistics_starts_with_uptime=1",
            "ping=ok",
            "done=1",
        ];
        for line in expect_lines {
            assert!(
                through.lines().any(|l| l == line),
                "missing {line:?} through sluice:\n{through}"
            );
        }
        assert_eq!(through, direct, "C client output differs through sluice");
        let mut sluice = sluice;
        sluice.assert_running();
    });
}
