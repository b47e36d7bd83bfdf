//! Validation of `[backends]`: default names and weights, unique names, resolved unique addresses.
//!
//! Owns the one piece of I/O in validation: resolving each backend's `host:port` once, at load time.
//! It must not connect to or probe the servers; health belongs to the monitor.

use std::net::{SocketAddr, ToSocketAddrs};
use std::ops::Range;

use toml::Spanned;

use super::error::{ConfigError, Source};
use super::model::{BackendConfig, BackendsConfig};
use super::raw::{RawBackend, RawBackends};

/// Default read weight of the primary: it takes reads only as a fallback.
const PRIMARY_READ_WEIGHT: u32 = 0;
/// Default read weight of a replica.
const REPLICA_READ_WEIGHT: u32 = 1;

/// A backend already accepted, remembered with its spans for duplicate messages.
struct Seen {
    name: String,
    name_span: Range<usize>,
    socket_addr: SocketAddr,
    address_span: Range<usize>,
}

pub(crate) fn validate(
    raw: Option<RawBackends>,
    source: &Source<'_>,
) -> Result<BackendsConfig, ConfigError> {
    let raw = raw.ok_or_else(|| {
        source.error(
            0..0,
            "a [backends.primary] table with an address is required",
        )
    })?;
    let mut seen = Vec::new();
    let primary = backend(
        raw.primary,
        "primary".to_owned(),
        PRIMARY_READ_WEIGHT,
        &mut seen,
        source,
    )?;
    let replicas = raw
        .replicas
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, replica)| {
            let default_name = format!("replica{}", index + 1);
            backend(
                replica,
                default_name,
                REPLICA_READ_WEIGHT,
                &mut seen,
                source,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BackendsConfig { primary, replicas })
}

fn backend(
    raw: RawBackend,
    default_name: String,
    default_weight: u32,
    seen: &mut Vec<Seen>,
    source: &Source<'_>,
) -> Result<BackendConfig, ConfigError> {
    let address_span = raw.address.span();
    // A defaulted name has no span of its own: point at the backend's address instead.
    let (name, name_span) = match raw.name {
        Some(name) => {
            let span = name.span();
            (name.into_inner(), span)
        }
        None => (default_name, address_span.clone()),
    };
    if name.is_empty() {
        return Err(source.error(name_span, "backend name must not be empty"));
    }
    if let Some(first) = seen.iter().find(|other| other.name == name) {
        return Err(source.error(
            name_span,
            format!(
                "backend name {name:?} is already used by the backend at line {}",
                source.line_of(first.name_span.start)
            ),
        ));
    }
    let address = raw.address.into_inner();
    let socket_addr = resolve(&address).map_err(|why| source.error(address_span.clone(), why))?;
    if let Some(first) = seen.iter().find(|other| other.socket_addr == socket_addr) {
        return Err(source.error(
            address_span,
            format!(
                "backend address {address:?} ({socket_addr}) is already used by backend {:?} at line {}",
                first.name,
                source.line_of(first.address_span.start)
            ),
        ));
    }
    seen.push(Seen {
        name: name.clone(),
        name_span,
        socket_addr,
        address_span,
    });
    Ok(BackendConfig {
        name,
        address,
        socket_addr,
        read_weight: raw.read_weight.map_or(default_weight, Spanned::into_inner),
    })
}

/// The first address `host:port` resolves to, or why it does not.
fn resolve(address: &str) -> Result<SocketAddr, String> {
    let mut addresses = address.to_socket_addrs().map_err(|err| {
        format!("cannot resolve backend address {address:?} (expected host:port): {err}")
    })?;
    addresses
        .next()
        .ok_or_else(|| format!("backend address {address:?} resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_ip_and_port() {
        assert_eq!(
            resolve("127.0.0.1:3307"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 3307)))
        );
    }

    #[test]
    fn a_missing_port_is_an_error() {
        let err = resolve("127.0.0.1").expect_err("no port");
        assert!(err.contains("expected host:port"), "{err}");
    }
}
