//! Validation of `[[users]]`: unique names and exactly one password source per user.
//!
//! Owns the rule "`password` or `password_env`, not both, not neither" and the lookup of
//! `password_env` through `Host`. It must not hash, store or log passwords; the auth module does the
//! first two and no one does the third.

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
    match (&entry.password, &entry.password_env) {
        (Some(password), None) => Ok(password.get_ref().clone()),
        (None, Some(variable)) => (host.env_var)(variable.get_ref()).map_err(|err| {
            let why = match err {
                VarError::NotPresent => "is not set",
                VarError::NotUnicode(_) => "is not valid UTF-8",
            };
            source.error(
                variable.span(),
                format!(
                    "password_env of user {name:?}: environment variable {:?} {why}",
                    variable.get_ref()
                ),
            )
        }),
        (Some(_), Some(variable)) => Err(source.error(
            variable.span(),
            format!("user {name:?} has both password and password_env: keep one"),
        )),
        (None, None) => Err(source.error(
            entry.name.span(),
            format!("user {name:?} needs a password or a password_env"),
        )),
    }
}
