//! End-to-end tests of `parse`: defaults, every validation rule with the line it points at, and the
//! TOML parser's own errors. Unit tests of single pieces live next to their code.

use std::env::VarError;
use std::net::SocketAddr;
use std::time::Duration;

use super::validate::{parse_with, Host};
use super::*;

/// The smallest valid configuration (9 lines): text appended by `with` starts at line 10.
const MINIMAL: &str = r#"[[listeners]]
address = "127.0.0.1:3380"

[[users]]
name = "app"
password = "app"

[backends.primary]
address = "127.0.0.1:3307"
"#;

fn test_host() -> Host {
    Host {
        available_cpus: 4,
        env_var: |name| match name {
            "SLUICE_TEST_PASSWORD" => Ok("from-env".to_owned()),
            _ => Err(VarError::NotPresent),
        },
    }
}

fn ok(text: &str) -> Config {
    parse_with(text, "test.toml", &test_host()).unwrap_or_else(|err| panic!("{err}"))
}

fn with(extra: &str) -> String {
    format!("{MINIMAL}{extra}")
}

/// Asserts that `text` fails at `line:column` with a message containing `needle`.
#[track_caller]
fn fails(text: &str, line: usize, column: usize, needle: &str) {
    let err = match parse_with(text, "test.toml", &test_host()) {
        Ok(config) => panic!("expected an error containing {needle:?}, got {config:?}"),
        Err(err) => err,
    };
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("test.toml:{line}:{column}: ")),
        "wrong location in {shown:?}, expected {line}:{column}"
    );
    assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap_or_else(|err| panic!("{text}: {err}"))
}

#[test]
fn minimal_config_gets_every_default() {
    let config = ok(MINIMAL);
    assert_eq!(
        config.listeners,
        vec![ListenerConfig {
            address: addr("127.0.0.1:3380"),
            consistency: ConsistencyLevel::Session,
            auth_plugin: ClientAuthPlugin::CachingSha2Password,
        }]
    );
    assert_eq!(
        config.shards,
        ShardsConfig {
            count: 1,
            cpus: None
        }
    );
    assert_eq!(
        config.monitor,
        MonitorConfig {
            cpu: None,
            user: "app".to_owned(),
            password: "app".to_owned(),
            poll_interval: Duration::from_millis(100),
            fast_poll_interval: Duration::from_millis(1),
            push: true,
        }
    );
    assert_eq!(
        config.users,
        vec![UserConfig {
            name: "app".to_owned(),
            password: "app".to_owned()
        }]
    );
    assert_eq!(
        config.backends,
        BackendsConfig {
            primary: BackendConfig {
                name: "primary".to_owned(),
                address: "127.0.0.1:3307".to_owned(),
                socket_addr: addr("127.0.0.1:3307"),
                read_weight: 0,
            },
            replicas: vec![],
        }
    );
    assert_eq!(
        config.consistency,
        ConsistencyConfig {
            level: ConsistencyLevel::Session,
            read_consistency_timeout: Duration::from_millis(10),
            latency_threshold: Duration::from_secs(30),
        }
    );
    assert_eq!(
        config.pool,
        PoolConfig {
            connect_timeout: Duration::from_secs(2),
            min_idle: 0,
            max_per_shard: 64,
            idle_timeout: Duration::from_secs(60),
        }
    );
}

#[test]
fn full_config_is_read_as_written() {
    let config = ok(&with(
        r#"
[[listeners]]
address = "[::1]:3381"
consistency = "Global"
auth_plugin = "mysql_native_password"

[shards]
count = 2
cpus = [2, 3]

[monitor]
cpu = 1

[[users]]
name = "env"
password_env = "SLUICE_TEST_PASSWORD"

[[backends.replicas]]
address = "127.0.0.1:3308"

[[backends.replicas]]
name = "analytics"
address = "127.0.0.1:3309"
read_weight = 5

[consistency]
level = "eventual"
read_consistency_timeout = "1.5ms"
latency_threshold = "2m"

[pool]
connect_timeout = "500ms"
min_idle = 2
max_per_shard = 8
idle_timeout = "1h"
"#,
    ));
    // The first listener takes [consistency].level, the second its own.
    assert_eq!(config.listeners[0].consistency, ConsistencyLevel::Eventual);
    assert_eq!(
        config.listeners[1],
        ListenerConfig {
            address: addr("[::1]:3381"),
            consistency: ConsistencyLevel::Global,
            auth_plugin: ClientAuthPlugin::MysqlNativePassword,
        }
    );
    assert_eq!(
        config.shards,
        ShardsConfig {
            count: 2,
            cpus: Some(vec![2, 3])
        }
    );
    assert_eq!(config.monitor.cpu, Some(1));
    assert_eq!(config.users[1].name, "env");
    assert_eq!(config.users[1].password, "from-env");
    let replicas = &config.backends.replicas;
    assert_eq!(replicas[0].name, "replica1");
    assert_eq!(replicas[0].read_weight, 1);
    assert_eq!(replicas[1].name, "analytics");
    assert_eq!(replicas[1].read_weight, 5);
    assert_eq!(replicas[1].socket_addr, addr("127.0.0.1:3309"));
    assert_eq!(
        config.consistency.read_consistency_timeout,
        Duration::from_micros(1500)
    );
    assert_eq!(
        config.consistency.latency_threshold,
        Duration::from_secs(120)
    );
    assert_eq!(
        config.pool,
        PoolConfig {
            connect_timeout: Duration::from_millis(500),
            min_idle: 2,
            max_per_shard: 8,
            idle_timeout: Duration::from_secs(3600),
        }
    );
}

#[test]
fn summary_names_users_but_never_passwords() {
    let config = ok(&with(
        "[[backends.replicas]]\naddress = \"127.0.0.1:3308\"\n[shards]\ncpus = [0]\n",
    ));
    let summary = config.summary();
    for expected in [
        "127.0.0.1:3380",
        "consistency session",
        "caching_sha2_password",
        "CPUs [0]",
        "users       app",
        "primary 127.0.0.1:3307 (read_weight 0)",
        "replica1 127.0.0.1:3308 (read_weight 1)",
        "10ms",
        "max_per_shard 64",
    ] {
        assert!(
            summary.contains(expected),
            "{expected:?} missing from\n{summary}"
        );
    }
    let with_secret = ok(&MINIMAL.replace("password = \"app\"", "password = \"s3cret\""));
    assert!(!with_secret.summary().contains("s3cret"));
    assert!(!format!("{with_secret:?}").contains("s3cret"));
}

#[test]
fn listeners_are_required() {
    let text = MINIMAL.replace("[[listeners]]\naddress = \"127.0.0.1:3380\"\n", "");
    fails(&text, 1, 1, "at least one [[listeners]]");
    fails(
        &format!("listeners = []\n{text}"),
        1,
        13,
        "at least one [[listeners]]",
    );
}

#[test]
fn listener_address_must_be_ip_and_port() {
    fails(
        &with("[[listeners]]\naddress = \"localhost:3380\"\n"),
        11,
        11,
        "not an IP:port address",
    );
    fails(
        &with("[[listeners]]\naddress = \"127.0.0.1\"\n"),
        11,
        11,
        "not an IP:port address",
    );
}

#[test]
fn listener_addresses_are_unique() {
    fails(
        &with("[[listeners]]\naddress = \"127.0.0.1:3380\"\n"),
        11,
        11,
        "already used at line 2",
    );
}

#[test]
fn listener_consistency_and_plugin_are_checked() {
    fails(
        &with("[[listeners]]\naddress = \"127.0.0.1:1\"\nconsistency = \"strong\"\n"),
        12,
        15,
        "unknown consistency level \"strong\"",
    );
    fails(
        &with("[[listeners]]\naddress = \"127.0.0.1:1\"\nauth_plugin = \"sha256_password\"\n"),
        12,
        15,
        "not supported",
    );
}

#[test]
fn shard_count_must_be_positive() {
    fails(
        &with("[shards]\ncount = 0\n"),
        11,
        9,
        "shards.count must be at least 1",
    );
    fails(&with("[shards]\ncount = -1\n"), 11, 9, "invalid value");
}

#[test]
fn shard_cpus_must_match_count() {
    fails(
        &with("[shards]\ncount = 2\ncpus = [0, 1, 2]\n"),
        12,
        8,
        "shards.cpus has 3 entries but shards.count is 2",
    );
    fails(
        &with("[shards]\ncpus = [0, 1]\n"),
        11,
        8,
        "shards.cpus has 2 entries but shards.count is 1",
    );
}

#[test]
fn shard_cpus_must_be_distinct_and_present() {
    fails(
        &with("[shards]\ncount = 3\ncpus = [0, 1, 0]\n"),
        12,
        15,
        "lists CPU 0 twice",
    );
    fails(
        &with("[shards]\ncount = 2\ncpus = [1, 4]\n"),
        12,
        12,
        "CPU 4 is not available: this host has 4 CPUs",
    );
}

#[test]
fn monitor_cpu_must_be_present() {
    fails(
        &with("[monitor]\ncpu = 9\n"),
        11,
        7,
        "monitor.cpu: CPU 9 is not available",
    );
}

#[test]
fn monitor_account_and_intervals_are_read_as_written() {
    let config = ok(&with(
        "[monitor]\nuser = \"sluice_monitor\"\npassword = \"monitor\"\npoll_interval = \"250ms\"\nfast_poll_interval = \"0ms\"\n",
    ));
    let m = &config.monitor;
    assert_eq!(
        (m.user.as_str(), m.password.as_str()),
        ("sluice_monitor", "monitor")
    );
    assert_eq!(m.poll_interval, Duration::from_millis(250));
    assert_eq!(m.fast_poll_interval, Duration::ZERO);
    let from_env = ok(&with(
        "[monitor]\nuser = \"mon\"\npassword_env = \"SLUICE_TEST_PASSWORD\"\n",
    ));
    assert_eq!(from_env.monitor.password, "from-env");
}

#[test]
fn monitor_defaults_to_a_configured_user_and_its_password() {
    let config = ok(&with(
        "[[users]]\nname = \"second\"\npassword = \"two\"\n\n[monitor]\nuser = \"second\"\n",
    ));
    assert_eq!(config.monitor.user, "second");
    assert_eq!(config.monitor.password, "two");
    // Only a password: the first user's name with that password.
    let config = ok(&with("[monitor]\npassword = \"other\"\n"));
    assert_eq!(
        (
            config.monitor.user.as_str(),
            config.monitor.password.as_str()
        ),
        ("app", "other")
    );
}

#[test]
fn monitor_account_rules() {
    fails(
        &with("[monitor]\nuser = \"stranger\"\n"),
        11,
        8,
        "monitor.user \"stranger\" is not a [[users]] entry: give monitor.password",
    );
    fails(
        &with("[monitor]\nuser = \"\"\n"),
        11,
        8,
        "monitor.user must not be empty",
    );
    fails(
        &with("[monitor]\npassword = \"x\"\npassword_env = \"SLUICE_TEST_PASSWORD\"\n"),
        12,
        16,
        "[monitor] has both password and password_env: keep one",
    );
    fails(
        &with("[monitor]\nuser = \"m\"\npassword_env = \"SLUICE_TEST_UNSET\"\n"),
        12,
        16,
        "password_env of [monitor]: environment variable \"SLUICE_TEST_UNSET\" is not set",
    );
    fails(
        &with("[monitor]\nusername = \"m\"\n"),
        11,
        1,
        "unknown field `username`",
    );
}

#[test]
fn monitor_push_is_on_unless_turned_off() {
    assert!(ok(MINIMAL).monitor.push);
    assert!(ok(&with("[monitor]\npush = true\n")).monitor.push);
    assert!(!ok(&with("[monitor]\npush = false\n")).monitor.push);
    fails(
        &with("[monitor]\npush = \"yes\"\n"),
        11,
        8,
        "invalid type: string \"yes\", expected a boolean",
    );
}

#[test]
fn monitor_interval_rules() {
    fails(
        &with("[monitor]\npoll_interval = \"0s\"\n"),
        11,
        17,
        "monitor.poll_interval must be greater than zero",
    );
    fails(
        &with("[monitor]\npoll_interval = 100\n"),
        11,
        17,
        "monitor.poll_interval: 100 has no unit",
    );
    fails(
        &with("[monitor]\npoll_interval = \"10ms\"\nfast_poll_interval = \"20ms\"\n"),
        12,
        22,
        "monitor.fast_poll_interval (20ms) cannot be longer than monitor.poll_interval (10ms)",
    );
    fails(
        &with("[monitor]\nfast_poll_interval = \"1\"\n"),
        11,
        22,
        "monitor.fast_poll_interval: \"1\" has no unit",
    );
}

#[test]
fn users_are_required() {
    let text = MINIMAL.replace("[[users]]\nname = \"app\"\npassword = \"app\"\n", "");
    fails(&text, 1, 1, "at least one [[users]]");
}

#[test]
fn user_needs_exactly_one_password_source() {
    fails(
        &with("[[users]]\nname = \"bob\"\n"),
        11,
        8,
        "needs a password or a password_env",
    );
    fails(
        &with("[[users]]\nname = \"bob\"\npassword = \"x\"\npassword_env = \"SLUICE_TEST_PASSWORD\"\n"),
        13,
        16,
        "both password and password_env",
    );
}

#[test]
fn password_env_must_be_set() {
    fails(
        &with("[[users]]\nname = \"bob\"\npassword_env = \"SLUICE_TEST_UNSET\"\n"),
        12,
        16,
        "environment variable \"SLUICE_TEST_UNSET\" is not set",
    );
}

#[test]
fn password_env_reads_the_process_environment() {
    // A name no other test uses, so setting it cannot race with them.
    std::env::set_var("SLUICE_CONFIG_TESTS_PASSWORD_ENV", "from-process");
    let text = MINIMAL.replace(
        "password = \"app\"",
        "password_env = \"SLUICE_CONFIG_TESTS_PASSWORD_ENV\"",
    );
    let config = parse(&text, "test.toml").unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(config.users[0].password, "from-process");
}

#[test]
fn user_names_are_unique() {
    fails(
        &with("[[users]]\nname = \"app\"\npassword = \"other\"\n"),
        11,
        8,
        "user \"app\" is already defined at line 5",
    );
}

#[test]
fn primary_backend_is_required() {
    let text = MINIMAL.replace("[backends.primary]\naddress = \"127.0.0.1:3307\"\n", "");
    fails(&text, 1, 1, "[backends.primary]");
    fails(
        &format!("{text}[[backends.replicas]]\naddress = \"127.0.0.1:3308\"\n"),
        8,
        3,
        "missing field `primary`",
    );
}

#[test]
fn backend_address_must_resolve() {
    fails(
        &MINIMAL.replace("127.0.0.1:3307", "127.0.0.1"),
        9,
        11,
        "cannot resolve backend address \"127.0.0.1\" (expected host:port)",
    );
    fails(
        &with("[[backends.replicas]]\naddress = \"no-such-host.invalid:3306\"\n"),
        11,
        11,
        "cannot resolve backend address \"no-such-host.invalid:3306\"",
    );
}

#[test]
fn backend_names_are_unique() {
    fails(
        &with("[[backends.replicas]]\nname = \"primary\"\naddress = \"127.0.0.1:3308\"\n"),
        11,
        8,
        "backend name \"primary\" is already used by the backend at line 9",
    );
    // A defaulted name that collides points at the address of the backend that got it.
    fails(
        &with(
            "[[backends.replicas]]\nname = \"replica2\"\naddress = \"127.0.0.1:3308\"\n\
             [[backends.replicas]]\naddress = \"127.0.0.1:3309\"\n",
        ),
        14,
        11,
        "backend name \"replica2\" is already used by the backend at line 11",
    );
}

#[test]
fn backend_addresses_are_unique() {
    fails(
        &with("[[backends.replicas]]\naddress = \"127.0.0.1:3307\"\n"),
        11,
        11,
        "is already used by backend \"primary\" at line 9",
    );
}

#[test]
fn durations_need_units() {
    fails(
        &with("[consistency]\nread_consistency_timeout = 10\n"),
        11,
        28,
        "consistency.read_consistency_timeout: 10 has no unit",
    );
    fails(
        &with("[consistency]\nlatency_threshold = \"30\"\n"),
        11,
        21,
        "consistency.latency_threshold: \"30\" has no unit",
    );
    fails(
        &with("[pool]\nidle_timeout = \"1d\"\n"),
        11,
        16,
        "unknown unit \"d\"",
    );
    fails(
        &with("[pool]\nidle_timeout = true\n"),
        11,
        16,
        "found a boolean",
    );
    fails(
        &with("[pool]\nconnect_timeout = 1.5\n"),
        11,
        19,
        "1.5 has no unit",
    );
}

#[test]
fn consistency_level_is_checked() {
    fails(
        &with("[consistency]\nlevel = \"strong\"\n"),
        11,
        9,
        "consistency.level: unknown consistency level",
    );
}

#[test]
fn pool_limits_are_checked() {
    fails(
        &with("[pool]\nmax_per_shard = 0\n"),
        11,
        17,
        "pool.max_per_shard must be at least 1",
    );
    fails(
        &with("[pool]\nmin_idle = 10\nmax_per_shard = 5\n"),
        11,
        12,
        "pool.min_idle is 10 but pool.max_per_shard is 5",
    );
    fails(
        &with("[pool]\nconnect_timeout = \"0s\"\n"),
        11,
        19,
        "pool.connect_timeout must be greater than zero",
    );
}

#[test]
fn unknown_keys_are_errors_with_their_line() {
    fails(
        &with("[pool]\nmax_conns = 5\n"),
        11,
        1,
        "unknown field `max_conns`",
    );
    fails(
        &with("[sharding]\ncount = 2\n"),
        10,
        2,
        "unknown field `sharding`",
    );
    fails(
        &MINIMAL.replace("name = \"app\"", "name = \"app\"\nrole = \"admin\""),
        6,
        1,
        "unknown field `role`",
    );
    fails(
        &with("[[backends.replicas]]\naddress = \"127.0.0.1:3308\"\nweight = 2\n"),
        12,
        1,
        "unknown field `weight`",
    );
}

#[test]
fn toml_type_and_syntax_errors_have_lines() {
    fails(&with("[shards]\ncount = \"two\"\n"), 11, 9, "invalid type");
    fails(
        &with("[shards]\ncount = \n"),
        11,
        9,
        "invalid string; expected",
    );
    fails(
        &with("[[listeners]]\nconsistency = \"session\"\n"),
        10,
        1,
        "missing field `address`",
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let err = match load(std::path::Path::new("/nonexistent/sluice.toml")) {
        Ok(config) => panic!("loaded {config:?}"),
        Err(err) => err,
    };
    let shown = err.to_string();
    assert!(
        shown.starts_with("/nonexistent/sluice.toml: cannot read configuration file: "),
        "{shown}"
    );
    assert_eq!(err.line(), None);
}
