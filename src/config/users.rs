//! Validation of `[[users]]`: unique names and exactly one password source per user.
//!
//! Owns the rule "`password` or `password_env`, not both, not neither" and the lookup of
//! `password_env` through `Host` (shared with `[monitor]`). It must not hash, store or log
//! passwords; the auth module does the first two and no one does the third.

use std::env::VarError;
use std::ops::Range;

use toml::Spanned;

use super::error::{ConfigError, Source};
use super::model::UserConfig;
use super::raw::RawUser;
use super::validate::Host;

pub(crate) fn validate(
    raw: Option<Spanned<Vec<RawUser>>>,
    source: &Source<'_>,
    host: &Host,
) -> Result<Vec<UserConfig>, ConfigError> {
    const NEED_ONE: &str = "at least one [[users]] entry is required";
    let raw = raw.ok_or_else(|| source.error(0..0, NEED_ONE))?;
    if raw.get_ref().is_empty() {
        return Err(source.error(raw.span(), NEED_ONE));
    }
    let mut users: Vec<(UserConfig, Range<usize>)> = Vec::new();
    for entry in raw.into_inner() {
        let name_span = entry.name.span();
        let name = entry.name.get_ref();
        if name.is_empty() {
            return Err(source.error(name_span, "users.name must not be empty"));
        }
        if let Some((_, first)) = users.iter().find(|(user, _)| &user.name == name) {
            return Err(source.error(
                name_span,
                format!(
                    "user {name:?} is already defined at line {}",
                    source.line_of(first.start)
                ),
            ));
        }
        let password = password(&entry, source, host)?;
        let user = UserConfig {
            name: entry.name.into_inner(),
            password,
        };
        users.push((user, name_span));
    }
    Ok(users.into_iter().map(|(user, _)| user).collect())
}

fn password(entry: &RawUser, source: &Source<'_>, host: &Host) -> Result<String, ConfigError> {
    let name = entry.name.get_ref();
    let who = format!("user {name:?}");
    password_source(&entry.password, &entry.password_env, &who, source, host)?.ok_or_else(|| {
        source.error(
            entry.name.span(),
            format!("user {name:?} needs a password or a password_env"),
        )
    })
}

/// The password given by `password` or by the environment variable `password_env` (not both);
/// `None` if neither is set. `who` names the owner in messages (`user "app"`, `[monitor]`).
pub(crate) fn password_source(
    password: &Option<Spanned<String>>,
    password_env: &Option<Spanned<String>>,
    who: &str,
    source: &Source<'_>,
    host: &Host,
) -> Result<Option<String>, ConfigError> {
    match (password, password_env) {
        (Some(password), None) => Ok(Some(password.get_ref().clone())),
        (None, Some(variable)) => (host.env_var)(variable.get_ref()).map(Some).map_err(|err| {
            let why = match err {
                VarError::NotPresent => "is not set",
                VarError::NotUnicode(_) => "is not valid UTF-8",
            };
            source.error(
                variable.span(),
                format!(
                    "password_env of {who}: environment variable {:?} {why}",
                    variable.get_ref()
                ),
            )
        }),
        (Some(_), Some(variable)) => Err(source.error(
            variable.span(),
            format!("{who} has both password and password_env: keep one"),
        )),
        (None, None) => Ok(None),
    }
}
