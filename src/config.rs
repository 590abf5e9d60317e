//! Settings shared by every subcommand.
//!
//! Each setting comes from, in order of precedence: its command-line flag, its
//! environment variable, the optional TOML file given with `--config`, and the built-in
//! default. Every bad value is reported with the setting's name (flag, variable or
//! `file:line`) and what was expected, before anything starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::problem::LineIndex;

/// Declares [`ConfigArgs`]: every setting is a global long flag with its environment
/// variable and a value name, written once each as `field: Type, "VARIABLE", "NAME"`
/// (`field as "flag-name"` where the flag is not the field's name), with any further
/// clap arguments in brackets.
macro_rules! config_args {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident $(as $long:literal)?: $ty:ty, $env:literal, $name:literal $([$($more:tt)*])?;
    )*) => {
        /// The command-line and environment side of the settings.
        #[derive(Debug, Clone, Default, clap::Args)]
        pub struct ConfigArgs {
            $(
                $(#[doc = $doc])*
                #[arg(long $(= $long)?, global = true, env = $env, value_name = $name $(, $($more)*)?)]
                pub $field: $ty,
            )*
        }
    };
}

config_args! {
    /// A TOML file with any of: data_dir, rules_dir, i18n_dir, default_locale,
    /// session_ttl_days, cache_capacity_mb, metrics_addr, admin_guilds [default: none].
    config: Option<PathBuf>, "ACTIVATION_CHECK_CONFIG", "FILE";
    /// Where sessions and posted cards are stored [default: data].
    data_dir: Option<PathBuf>, "ACTIVATION_CHECK_DATA_DIR", "DIR";
    /// The directory holding activation-check.toml [default: rules].
    rules_dir: Option<PathBuf>, "ACTIVATION_CHECK_RULES_DIR", "DIR";
    /// The directory holding one folder of .ftl files per locale [default: i18n].
    i18n_dir: Option<PathBuf>, "ACTIVATION_CHECK_I18N_DIR", "DIR";
    /// The locale used when none of the user's matches [default: en-US].
    default_locale: Option<String>, "ACTIVATION_CHECK_DEFAULT_LOCALE", "TAG";
    /// Days after its last step that an unfinished or finished session is deleted
    /// (1–3650) [default: 30].
    session_ttl_days: Option<u32>, "ACTIVATION_CHECK_SESSION_TTL_DAYS", "DAYS"
        [value_parser = clap::value_parser!(u32).range(1..=3650)];
    /// Memory sled may use for its page cache, in MiB (1–4096) [default: 16].
    cache_capacity_mb: Option<u32>, "ACTIVATION_CHECK_CACHE_MB", "MIB"
        [value_parser = clap::value_parser!(u32).range(1..=4096)];
    /// Serve /healthz and /metrics on this address, such as 127.0.0.1:9100 [default: off].
    metrics_addr: Option<std::net::SocketAddr>, "ACTIVATION_CHECK_METRICS_ADDR", "IP:PORT";
    /// A server where the application's owner may reload the rules and texts with
    /// /activation-reload (repeatable; the variable takes a comma-separated list)
    /// [default: none].
    admin_guilds as "admin-guild": Vec<u64>, "ACTIVATION_CHECK_ADMIN_GUILDS", "ID"
        [value_delimiter = ','];
}

/// The settings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub data_dir: PathBuf,
    pub rules_dir: PathBuf,
    pub i18n_dir: PathBuf,
    pub default_locale: String,
    pub session_ttl: Duration,
    pub cache_capacity_bytes: u64,
    /// Where to serve /healthz and /metrics; `None` for not at all.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The servers /activation-reload is registered in.
    pub admin_guilds: Vec<u64>,
}

impl Config {
    /// The rules file inside the rules directory.
    pub fn rules_file(&self) -> PathBuf {
        self.rules_dir.join("activation-check.toml")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    rules_dir: Option<PathBuf>,
    i18n_dir: Option<PathBuf>,
    default_locale: Option<String>,
    session_ttl_days: Option<toml::Spanned<u32>>,
    cache_capacity_mb: Option<toml::Spanned<u32>>,
    metrics_addr: Option<toml::Spanned<String>>,
    admin_guilds: Option<Vec<u64>>,
}

/// A bad setting, named, with what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl ConfigArgs {
    /// Resolves the settings: flag or environment, then the file, then the default.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let path = self.config.as_deref().unwrap_or(Path::new("config"));
        let ttl_days = flag_or_file(self.session_ttl_days, &file.session_ttl_days, |d| {
            check_range(path, d, "session_ttl_days", 1, 3650)
        })?;
        let cache_mb = flag_or_file(self.cache_capacity_mb, &file.cache_capacity_mb, |m| {
            check_range(path, m, "cache_capacity_mb", 1, 4096)
        })?;
        let default_locale = flag_or(&self.default_locale, file.default_locale, || {
            "en-US".to_owned()
        });
        if default_locale
            .parse::<unic_langid::LanguageIdentifier>()
            .is_err()
        {
            return Err(ConfigError(format!(
                "default locale `{default_locale}` (--default-locale / \
                 ACTIVATION_CHECK_DEFAULT_LOCALE / default_locale) is not a language tag; \
                 expected something like `en-US` or `ja`"
            )));
        }
        let dir = |name: &'static str| move || PathBuf::from(name);
        Ok(Config {
            data_dir: flag_or(&self.data_dir, file.data_dir, dir("data")),
            rules_dir: flag_or(&self.rules_dir, file.rules_dir, dir("rules")),
            i18n_dir: flag_or(&self.i18n_dir, file.i18n_dir, dir("i18n")),
            default_locale,
            session_ttl: Duration::from_secs(u64::from(ttl_days.unwrap_or(30)) * 86_400),
            cache_capacity_bytes: u64::from(cache_mb.unwrap_or(16)) * 1024 * 1024,
            metrics_addr: flag_or_file(self.metrics_addr, &file.metrics_addr, |a| {
                parse_addr(path, a)
            })?,
            admin_guilds: if self.admin_guilds.is_empty() {
                file.admin_guilds.unwrap_or_default()
            } else {
                self.admin_guilds.clone()
            },
        })
    }
}

/// The flag (or its variable) if given, else the file's value, else `default`.
fn flag_or<T: Clone>(flag: &Option<T>, file: Option<T>, default: impl FnOnce() -> T) -> T {
    flag.clone().or(file).unwrap_or_else(default)
}

/// The flag (or its variable) if given, else the file's value once `check` accepts it,
/// else none.
fn flag_or_file<T, F>(
    flag: Option<T>,
    file: &Option<toml::Spanned<F>>,
    check: impl FnOnce(&toml::Spanned<F>) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    match (flag, file) {
        (Some(v), _) => Ok(Some(v)),
        (None, Some(v)) => check(v).map(Some),
        (None, None) => Ok(None),
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "cannot read the config file {} (--config / ACTIVATION_CHECK_CONFIG): {e}",
            path.display()
        ))
    })?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| LineIndex::new(&text).line(s.start))
            .unwrap_or(0);
        ConfigError(format!(
            "{}:{line}: {}; the file may set data_dir, rules_dir, i18n_dir, default_locale, \
             session_ttl_days, cache_capacity_mb, metrics_addr and admin_guilds",
            path.display(),
            e.message().trim_end()
        ))
    })
}

/// A bad value in the config file at `path`, named with its line.
fn bad_value<T>(path: &Path, value: &toml::Spanned<T>, problem: String) -> ConfigError {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let line = LineIndex::new(&text).line(value.span().start);
    ConfigError(format!("{}:{line}: {problem}", path.display()))
}

fn parse_addr(
    path: &Path,
    value: &toml::Spanned<String>,
) -> Result<std::net::SocketAddr, ConfigError> {
    value.get_ref().parse().map_err(|_| {
        let problem = format!(
            "metrics_addr is {:?}; expected an IP address and port such as \
             \"127.0.0.1:9100\" or \"[::1]:9100\"",
            value.get_ref()
        );
        bad_value(path, value, problem)
    })
}

fn check_range(
    path: &Path,
    value: &toml::Spanned<u32>,
    name: &str,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    let v = *value.get_ref();
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        let problem = format!("{name} is {v}; expected a whole number from {min} to {max}");
        Err(bad_value(path, value, problem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings from a config file holding `text`: the directory, the file and the args.
    fn from_file(text: &str) -> (tempfile::TempDir, PathBuf, ConfigArgs) {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("c.toml");
        std::fs::write(&f, text).unwrap();
        let args = ConfigArgs {
            config: Some(f.clone()),
            ..Default::default()
        };
        (tmp, f, args)
    }

    #[test]
    fn defaults() {
        let c = ConfigArgs::default().resolve().unwrap();
        assert_eq!(c.data_dir, PathBuf::from("data"));
        assert_eq!(c.rules_file(), PathBuf::from("rules/activation-check.toml"));
        assert_eq!(c.default_locale, "en-US");
        assert_eq!(c.session_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(c.cache_capacity_bytes, 16 << 20);
        assert_eq!(c.metrics_addr, None, "the listener is off by default");
    }

    #[test]
    fn metrics_addr_from_flag_or_file() {
        let (_tmp, f, args) = from_file("data_dir = \"/x\"\nmetrics_addr = \"127.0.0.1:9100\"\n");
        assert_eq!(
            args.resolve().unwrap().metrics_addr,
            Some("127.0.0.1:9100".parse().unwrap())
        );
        let flag = ConfigArgs {
            metrics_addr: Some("[::1]:9200".parse().unwrap()),
            ..args.clone()
        };
        assert_eq!(
            flag.resolve().unwrap().metrics_addr,
            Some("[::1]:9200".parse().unwrap())
        );
        std::fs::write(&f, "data_dir = \"/x\"\nmetrics_addr = \"localhost\"\n").unwrap();
        let e = args.resolve().unwrap_err().to_string();
        assert!(
            e.contains("c.toml:2: metrics_addr is \"localhost\"; expected an IP address and port"),
            "{e}"
        );
    }

    #[test]
    fn admin_guilds_from_flag_or_file() {
        let (_tmp, _, args) = from_file("admin_guilds = [1, 22]\n");
        assert_eq!(args.resolve().unwrap().admin_guilds, vec![1, 22]);
        let flag = ConfigArgs {
            admin_guilds: vec![3],
            ..args
        };
        assert_eq!(flag.resolve().unwrap().admin_guilds, vec![3]);
        assert!(ConfigArgs::default()
            .resolve()
            .unwrap()
            .admin_guilds
            .is_empty());
    }

    #[test]
    fn flags_override_file() {
        let (_tmp, _, args) =
            from_file("data_dir = \"/x\"\nsession_ttl_days = 7\ndefault_locale = \"ja\"\n");
        let args = ConfigArgs {
            data_dir: Some("/flag".into()),
            ..args
        };
        let c = args.resolve().unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/flag"));
        assert_eq!(c.default_locale, "ja");
        assert_eq!(c.session_ttl, Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn bad_values_are_named_with_line() {
        let (_tmp, f, args) = from_file("data_dir = \"/x\"\nsession_ttl_days = 0\n");
        let e = args.resolve().unwrap_err().to_string();
        assert!(e.contains("c.toml:2: session_ttl_days is 0"), "{e}");

        std::fs::write(&f, "data_dir = \"/x\"\ncolour = \"blue\"\n").unwrap();
        let e = args.resolve().unwrap_err().to_string();
        assert!(e.contains("c.toml:2:") && e.contains("colour"), "{e}");

        let args = ConfigArgs {
            default_locale: Some("not a tag!".into()),
            ..Default::default()
        };
        let e = args.resolve().unwrap_err().to_string();
        assert!(e.contains("default locale `not a tag!`"), "{e}");
    }
}
