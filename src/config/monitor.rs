//! Validation of `[monitor]`: its CPU, the account its connections log in as, its poll
//! intervals, and whether it follows the replicas' binlogs (`push`).
//!
//! Owns the defaults "the first `[[users]]` entry, with that entry's password" and the interval
//! rules. It must not log or store passwords anywhere but the returned `MonitorConfig`.

use toml::Spanned;

use super::error::{ConfigError, Source};
use super::model::{MonitorConfig, UserConfig};
use super::raw::RawMonitor;
use super::users::password_source;
use super::validate::{check_cpu, duration, Host};

/// Validates `[monitor]` against the already validated `users` (at least one).
pub(crate) fn validate(
    raw: Option<RawMonitor>,
    users: &[UserConfig],
    source: &Source<'_>,
    host: &Host,
) -> Result<MonitorConfig, ConfigError> {
    let raw = raw.unwrap_or(RawMonitor {
        cpu: None,
        user: None,
        password: None,
        password_env: None,
        poll_interval: None,
        fast_poll_interval: None,
        push: None,
    });
    if let Some(cpu) = &raw.cpu {
        check_cpu(cpu, "monitor.cpu", source, host)?;
    }
    let (user, password) = account(&raw, users, source, host)?;
    let poll_span = raw.poll_interval.as_ref().map(Spanned::span);
    let poll_interval = duration(
        raw.poll_interval,
        "monitor.poll_interval",
        MonitorConfig::POLL_INTERVAL,
        source,
    )?;
    if let (Some(span), true) = (poll_span, poll_interval.is_zero()) {
        return Err(source.error(
            span,
            "monitor.poll_interval must be greater than zero (fast_poll_interval may be \"0ms\")",
        ));
    }
    let fast_span = raw.fast_poll_interval.as_ref().map(Spanned::span);
    let fast_poll_interval = duration(
        raw.fast_poll_interval,
        "monitor.fast_poll_interval",
        MonitorConfig::FAST_POLL_INTERVAL,
        source,
    )?;
    if let (Some(span), true) = (fast_span, fast_poll_interval > poll_interval) {
        return Err(source.error(
            span,
            format!(
                "monitor.fast_poll_interval ({fast_poll_interval:?}) cannot be longer than monitor.poll_interval ({poll_interval:?})"
            ),
        ));
    }
    Ok(MonitorConfig {
        cpu: raw.cpu.map(Spanned::into_inner),
        user,
        password,
        poll_interval,
        fast_poll_interval,
        push: raw.push.map_or(true, Spanned::into_inner),
    })
}

/// The monitor's user name and password.
fn account(
    raw: &RawMonitor,
    users: &[UserConfig],
    source: &Source<'_>,
    host: &Host,
) -> Result<(String, String), ConfigError> {
    let user = match &raw.user {
        Some(name) if name.get_ref().is_empty() => {
            return Err(source.error(name.span(), "monitor.user must not be empty"));
        }
        Some(name) => name.get_ref().clone(),
        None => match users.first() {
            Some(first) => first.name.clone(),
            None => return Err(source.error(0..0, "at least one [[users]] entry is required")),
        },
    };
    if let Some(password) =
        password_source(&raw.password, &raw.password_env, "[monitor]", source, host)?
    {
        return Ok((user, password));
    }
    match users.iter().find(|u| u.name == user) {
        Some(u) => Ok((user, u.password.clone())),
        None => {
            let span = raw.user.as_ref().map_or(0..0, Spanned::span);
            Err(source.error(
                span,
                format!(
                    "monitor.user {user:?} is not a [[users]] entry: give monitor.password or monitor.password_env"
                ),
            ))
        }
    }
}
