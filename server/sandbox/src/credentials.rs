//! The sandbox's identities and keys: three apps (and a mobile app for APP pay), one merchant, its APIv3 key, the WeChat Pay public key and a
//! platform certificate. Made once and kept in the data folder, so a restart keeps them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::keys::{self, KeyError};

/// Where the credentials live inside the data folder.
const FILE: &str = "sandbox/credentials.json";
/// Platform certificates made by the sandbox live this long (WeChat's are five years).
pub const CERTIFICATE_LIFETIME: Duration = Duration::from_secs(5 * 365 * 24 * 60 * 60);

/// Everything a merchant client needs to talk to the sandbox, as `wxgate sandbox credentials` prints it.
/// Throwaway keys, made here, never a real merchant's.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SandboxCredentials {
    pub mp_appid: String,
    pub mp_secret: String,
    pub oa_appid: String,
    pub oa_secret: String,
    pub web_appid: String,
    pub web_secret: String,
    /// A mobile app's appid, bound to the merchant for APP pay (files from before it existed get one on load).
    #[serde(default)]
    pub app_appid: String,
    /// The message push's Token and EncodingAESKey, shared by the mini program and the official account (files
    /// from before they existed get them on load).
    #[serde(default)]
    pub push_token: String,
    #[serde(default)]
    pub push_aes_key: String,
    pub mchid: String,
    pub merchant_serial: String,
    pub merchant_private_key_pem: String,
    pub apiv3_key: String,
    pub pay_public_key_id: String,
    pub pay_public_key_pem: String,
    pub pay_private_key_pem: String,
    pub platform_cert_serial: String,
    pub platform_cert_pem: String,
    pub platform_private_key_pem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not the sandbox's credentials file: {source}")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl SandboxCredentials {
    /// The credentials as `wxgate sandbox credentials` prints them: every field, and the base URLs of a sandbox
    /// reached at `base`.
    pub fn with_bases(&self, base: &str) -> Result<serde_json::Value, serde_json::Error> {
        let mut printed = serde_json::to_value(self)?;
        if let Some(fields) = printed.as_object_mut() {
            for name in ["api_base", "open_base", "pay_base"] {
                fields.insert(name.to_owned(), serde_json::Value::String(base.to_owned()));
            }
        }
        Ok(printed)
    }

    /// Reads the credentials from the data folder, making and saving them on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<SandboxCredentials, CredentialsError> {
        let path = data_dir.join(FILE);
        let io = |source| CredentialsError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                // A file left by an older wxgate may be readable by others: it holds private keys.
                private_files::restrict(&path).map_err(io)?;
                let mut credentials: SandboxCredentials =
                    serde_json::from_str(&text).map_err(|source| CredentialsError::Corrupt {
                        path: path.clone(),
                        source,
                    })?;
                let older = credentials.app_appid.is_empty() || credentials.push_token.is_empty();
                if credentials.app_appid.is_empty() {
                    credentials.app_appid = appid();
                }
                if credentials.push_token.is_empty() {
                    credentials.push_token = random_alphanumeric(32);
                    credentials.push_aes_key = encoding_aes_key();
                }
                if older {
                    credentials.save(&path)?;
                }
                Ok(credentials)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let credentials = SandboxCredentials::generate()?;
                if let Some(folder) = path.parent() {
                    private_files::create_folder(folder).map_err(io)?;
                }
                credentials.save(&path)?;
                Ok(credentials)
            }
            Err(error) => Err(io(error)),
        }
    }

    /// Writes the credentials whole under a temporary name, then renames it: a crash never leaves half a file.
    /// Only wxgate's user may read it (mode 0600).
    fn save(&self, path: &Path) -> Result<(), CredentialsError> {
        let io = |source| CredentialsError::Io {
            path: path.to_owned(),
            source,
        };
        let text =
            serde_json::to_string_pretty(self).map_err(|source| CredentialsError::Corrupt {
                path: path.to_owned(),
                source,
            })?;
        let partial = path.with_extension("json.partial");
        private_files::create_file(&partial)
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
            .map_err(io)?;
        std::fs::rename(&partial, path).map_err(io)
    }

    fn generate() -> Result<SandboxCredentials, CredentialsError> {
        let merchant_key = keys::generate_rsa_key()?;
        let pay_key = keys::generate_rsa_key()?;
        let platform_key = keys::generate_rsa_key()?;
        let platform_cert_serial = keys::random_serial(20);
        Ok(SandboxCredentials {
            mp_appid: appid(),
            mp_secret: random_hex(16),
            oa_appid: appid(),
            oa_secret: random_hex(16),
            web_appid: appid(),
            web_secret: random_hex(16),
            app_appid: appid(),
            push_token: random_alphanumeric(32),
            push_aes_key: encoding_aes_key(),
            mchid: format!("19{:08}", rand::random::<u32>() % 100_000_000),
            merchant_serial: keys::random_serial(20),
            merchant_private_key_pem: keys::private_key_pem(&merchant_key)?,
            apiv3_key: random_alphanumeric(32),
            pay_public_key_id: format!("PUB_KEY_ID_01{:026}", rand::random::<u64>()),
            pay_public_key_pem: keys::public_key_pem(&pay_key.to_public_key())?,
            pay_private_key_pem: keys::private_key_pem(&pay_key)?,
            platform_cert_pem: keys::self_signed_certificate(
                &platform_key,
                &platform_cert_serial,
                CERTIFICATE_LIFETIME,
            )?,
            platform_cert_serial,
            platform_private_key_pem: keys::private_key_pem(&platform_key)?,
        })
    }
}

/// An appid in WeChat's shape: `wx` and 16 hex digits.
fn appid() -> String {
    format!("wx{}", random_hex(8))
}

/// An EncodingAESKey as WeChat's console makes one: 43 characters of base64, 32 random bytes.
fn encoding_aes_key() -> String {
    use base64::Engine as _;
    let key: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(key)
}

fn random_hex(bytes: usize) -> String {
    hex::encode((0..bytes).map(|_| rand::random::<u8>()).collect::<Vec<_>>())
}

fn random_alphanumeric(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[usize::from(rand::random::<u8>()) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_made_once_and_kept() {
        let folder = tempfile::tempdir().expect("folder");
        let first = SandboxCredentials::load_or_create(folder.path()).expect("made");
        let second = SandboxCredentials::load_or_create(folder.path()).expect("read back");
        assert_eq!(first, second);
        assert!(first.mp_appid.starts_with("wx") && first.mp_appid.len() == 18);
        assert_ne!(first.mp_appid, first.oa_appid);
        assert_eq!(first.apiv3_key.len(), 32);
        assert_eq!(first.mchid.len(), 10);
        assert!(first.pay_public_key_id.starts_with("PUB_KEY_ID_"));
        assert!(first.app_appid.starts_with("wx"));
        assert_eq!(first.push_token.len(), 32);
        assert!(
            wechat::push::PushKey::new(&first.push_aes_key).is_ok(),
            "an EncodingAESKey WeChat would take: {}",
            first.push_aes_key
        );
    }

    #[test]
    fn a_file_from_before_the_mobile_app_gets_one_kept_from_then_on() {
        let folder = tempfile::tempdir().expect("folder");
        let made = SandboxCredentials::load_or_create(folder.path()).expect("made");
        let mut old = serde_json::to_value(&made).expect("JSON");
        old.as_object_mut().map(|fields| fields.remove("app_appid"));
        std::fs::write(folder.path().join(FILE), old.to_string()).expect("write");
        let upgraded = SandboxCredentials::load_or_create(folder.path()).expect("read");
        assert!(upgraded.app_appid.starts_with("wx"));
        assert_eq!(upgraded.mp_appid, made.mp_appid);
        let again = SandboxCredentials::load_or_create(folder.path()).expect("read again");
        assert_eq!(again.app_appid, upgraded.app_appid);
    }
}
