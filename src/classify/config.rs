//! [`ClassifierConfig`]: what the operator tells the classifier beyond its built-in knowledge.
//!
//! Owns the set of extra read-only function names (stored functions or UDFs the operator vouches
//! for), built once and searched without allocation. It must not read files or know the TOML
//! layout: the configuration module builds it from validated settings.

use super::functions::upper;

/// Settings of the classifier, built once per endpoint and shared by every classification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassifierConfig {
    /// Upper-cased names, sorted and deduplicated.
    read_only_functions: Vec<Box<[u8]>>,
}

impl ClassifierConfig {
    /// A configuration where `names` (any letter case) are read-only functions that may run on a
    /// replica. A name is either bare (`my_func`, matching a call with or without a schema
    /// qualifier) or qualified (`shop.my_func`, matching only `shop.my_func(`). Empty names are
    /// ignored.
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut read_only_functions: Vec<Box<[u8]>> = names
            .into_iter()
            .map(|n| {
                n.as_ref()
                    .trim()
                    .to_ascii_uppercase()
                    .into_bytes()
                    .into_boxed_slice()
            })
            .filter(|n| !n.is_empty())
            .collect();
        read_only_functions.sort();
        read_only_functions.dedup();
        ClassifierConfig {
            read_only_functions,
        }
    }

    /// True when no extra function is configured.
    pub fn is_default(&self) -> bool {
        self.read_only_functions.is_empty()
    }

    /// True when the call `schema.name(` (or `name(` when `schema` is `None`) is configured
    /// read-only. Case-insensitive; does not allocate.
    pub fn is_read_only_function(&self, schema: Option<&[u8]>, name: &[u8]) -> bool {
        if self.read_only_functions.is_empty() {
            return false;
        }
        let mut buf = [0u8; 64];
        let Some(bare) = upper(name, &mut buf) else {
            return false;
        };
        if self.contains(bare) {
            return true;
        }
        let Some(schema) = schema else {
            return false;
        };
        let mut qualified = [0u8; 130];
        let total = schema.len() + 1 + name.len();
        let Some(out) = qualified.get_mut(..total) else {
            return false;
        };
        for (d, s) in out.iter_mut().zip(schema.iter().chain(b".").chain(name)) {
            *d = s.to_ascii_uppercase();
        }
        self.contains(out)
    }

    fn contains(&self, upper_name: &[u8]) -> bool {
        self.read_only_functions
            .binary_search_by(|probe| probe.as_ref().cmp(upper_name))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_qualified_names() {
        let cfg = ClassifierConfig::new(["my_func", " Shop.Price ", ""]);
        assert!(!cfg.is_default());
        assert!(cfg.is_read_only_function(None, b"MY_FUNC"));
        assert!(cfg.is_read_only_function(Some(b"any"), b"my_func"));
        assert!(cfg.is_read_only_function(Some(b"shop"), b"price"));
        assert!(!cfg.is_read_only_function(None, b"price"));
        assert!(!cfg.is_read_only_function(Some(b"other"), b"price"));
        assert!(!cfg.is_read_only_function(None, &[b'x'; 100]));
        assert!(ClassifierConfig::default().is_default());
    }
}
