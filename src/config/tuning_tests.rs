//! Loads the shipped configurations in `tuning/` and checks their key values, so a broken example
//! fails the unit tests rather than a demo.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

fn tuning(file: &str) -> Config {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tuning")
        .join(file);
    load(&path).unwrap_or_else(|err| panic!("{err}"))
}

/// Checks what both local configurations share, with their own listener and backend ports.
fn check_local(config: &Config, listen: &str, ports: [u16; 3]) {
    assert_eq!(config.listeners.len(), 1);
    assert_eq!(config.listeners[0].address.to_string(), listen);
    assert_eq!(config.listeners[0].consistency, ConsistencyLevel::Session);
    assert_eq!(config.shards.count, 1);
    assert_eq!(config.shards.cpus, Some(vec![0]));
    assert_eq!(config.monitor.cpu, Some(1));
    assert_eq!(config.monitor.user, "sluice_monitor");
    assert_eq!(config.monitor.password, "monitor");
    assert_eq!(config.monitor.poll_interval, Duration::from_millis(100));
    assert_eq!(config.monitor.fast_poll_interval, Duration::from_millis(1));
    assert!(config.monitor.push);
    assert_eq!(config.users.len(), 1);
    assert_eq!(config.users[0].name, "app");
    assert_eq!(config.users[0].password, "app");
    let backends = &config.backends;
    assert_eq!(backends.primary.name, "primary");
    assert_eq!(backends.primary.address, format!("127.0.0.1:{}", ports[0]));
    assert_eq!(backends.primary.read_weight, 0);
    let replicas: Vec<(&str, String, u32)> = backends
        .replicas
        .iter()
        .map(|r| (r.name.as_str(), r.socket_addr.to_string(), r.read_weight))
        .collect();
    assert_eq!(
        replicas,
        vec![
            ("replica1", format!("127.0.0.1:{}", ports[1]), 1),
            ("replica2", format!("127.0.0.1:{}", ports[2]), 1),
        ]
    );
    assert_eq!(config.consistency, ConsistencyConfig::default());
    assert_eq!(config.pool, PoolConfig::default());
}

#[test]
fn local_mariadb_config_loads() {
    check_local(&tuning("local.toml"), "127.0.0.1:3380", [3307, 3308, 3309]);
}

#[test]
fn local_mysql_config_loads() {
    check_local(
        &tuning("local-mysql.toml"),
        "127.0.0.1:3390",
        [3317, 3318, 3319],
    );
}

/// The 16-core example, validated as on a 16-CPU host with its passwords in the environment.
#[test]
fn dedicated_16_core_config_loads_on_a_16_cpu_host() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tuning")
        .join("dedicated-16core.toml");
    let text = std::fs::read_to_string(&path).expect("read the example");
    let host = validate::Host {
        available_cpus: 16,
        env_var: |name| match name {
            "SLUICE_APP_PASSWORD" => Ok("app-secret".to_owned()),
            "SLUICE_MONITOR_PASSWORD" => Ok("monitor-secret".to_owned()),
            _ => Err(std::env::VarError::NotPresent),
        },
    };
    let config = validate::parse_with(&text, "dedicated-16core.toml", &host)
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(config.shards.count, 15);
    assert_eq!(config.shards.cpus, Some((0..15).collect::<Vec<_>>()));
    assert_eq!(config.monitor.cpu, Some(15));
    assert_eq!(config.monitor.password, "monitor-secret");
    assert_eq!(config.users[0].password, "app-secret");
    assert_eq!(config.backends.replicas.len(), 3);
    let too_small = validate::Host {
        available_cpus: 2,
        ..host
    };
    let err = validate::parse_with(&text, "dedicated-16core.toml", &too_small)
        .expect_err("CPU 2 and up do not exist on a 2-CPU host");
    assert!(err.to_string().contains("dedicated-16core.toml:"), "{err}");
}
