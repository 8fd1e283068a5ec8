//! JWS signature verification (RFC 7515, algorithms of RFC 7518) for what [`JwtConfig`]
//! accepts: HMAC (`HS256/384/512`), RSA PKCS#1 v1.5 (`RS*`) and PSS (`PS*`), ECDSA on
//! P-256 (`ES256`) and P-384 (`ES384`).
//!
//! On RustCrypto, the backend the `jsonwebtoken` crate uses, but verification only: a
//! server verifies tokens and never signs them, and `jsonwebtoken`'s provider table links
//! its signers, private-key parsers, EdDSA and JWK helpers into every build (a quarter
//! of the WebAssembly module's cryptography). Keys are parsed once, at registration.
//!
//! ```
//! use spikard_core::config::JwtConfig;
//! use spikard_http::middleware::auth::JwsVerifier;
//! let config: JwtConfig = serde_json::from_str(r#"{"secret": "s3cret"}"#).unwrap();
//! let verifier = JwsVerifier::new(&config).unwrap();
//! // HS256 of "a.b" under "s3cret", base64url.
//! assert!(!verifier.verify(b"a.b", b"not-the-signature"));
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Verifier as _;
use p256::pkcs8::DecodePublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spikard_core::config::JwtConfig;

/// The hash of an algorithm (`HS256` → SHA-256).
#[derive(Debug, Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of(algorithm: &str) -> Self {
        match algorithm.get(2..) {
            Some("384") => Self::Sha384,
            Some("512") => Self::Sha512,
            _ => Self::Sha256,
        }
    }
}

enum Key {
    Hmac(Vec<u8>),
    /// PKCS#1 v1.5 (`RS*`) or PSS (`PS*`).
    Rsa {
        key: RsaPublicKey,
        pss: bool,
    },
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

/// The signature check of a [`JwtConfig`]: its algorithm and parsed key.
pub struct JwsVerifier {
    hash: Hash,
    key: Key,
}

impl std::fmt::Debug for JwsVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwsVerifier")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl JwsVerifier {
    /// Parse the key for the configured algorithm (the config is [checked](JwtConfig::check)
    /// first); errors name the offending field.
    pub fn new(config: &JwtConfig) -> Result<Self, String> {
        config.check()?;
        let algorithm = config.algorithm.as_str();
        let hash = Hash::of(algorithm);
        let pem = config.public_key.as_deref().unwrap_or_default();
        let key = match algorithm.get(..2) {
            Some("HS") => Key::Hmac(config.secret.as_deref().unwrap_or_default().as_bytes().to_vec()),
            Some("RS" | "PS") => Key::Rsa {
                key: rsa_key(pem).map_err(|e| format!("jwt_auth.public_key is not a PEM RSA public key: {e}"))?,
                pss: algorithm.starts_with("PS"),
            },
            Some("ES") => ec_key(algorithm, pem)?,
            _ => return Err(format!("jwt_auth.algorithm '{algorithm}' is not supported")),
        };
        Ok(Self { hash, key })
    }

    /// Whether `signature` (base64url, the token's third part) signs `message` (its first two
    /// parts and the dot between them).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        match &self.key {
            Key::Hmac(secret) => match self.hash {
                Hash::Sha256 => hmac_ok::<Hmac<Sha256>>(secret, message, &signature),
                Hash::Sha384 => hmac_ok::<Hmac<Sha384>>(secret, message, &signature),
                Hash::Sha512 => hmac_ok::<Hmac<Sha512>>(secret, message, &signature),
            },
            Key::Rsa { key, pss } => {
                let (digest, scheme) = match (self.hash, *pss) {
                    (Hash::Sha256, false) => (
                        Sha256::digest(message).to_vec(),
                        Scheme::V15(Pkcs1v15Sign::new::<Sha256>()),
                    ),
                    (Hash::Sha384, false) => (
                        Sha384::digest(message).to_vec(),
                        Scheme::V15(Pkcs1v15Sign::new::<Sha384>()),
                    ),
                    (Hash::Sha512, false) => (
                        Sha512::digest(message).to_vec(),
                        Scheme::V15(Pkcs1v15Sign::new::<Sha512>()),
                    ),
                    (Hash::Sha256, true) => (Sha256::digest(message).to_vec(), Scheme::Pss(Pss::new::<Sha256>())),
                    (Hash::Sha384, true) => (Sha384::digest(message).to_vec(), Scheme::Pss(Pss::new::<Sha384>())),
                    (Hash::Sha512, true) => (Sha512::digest(message).to_vec(), Scheme::Pss(Pss::new::<Sha512>())),
                };
                match scheme {
                    Scheme::V15(s) => key.verify(s, &digest, &signature).is_ok(),
                    Scheme::Pss(s) => key.verify(s, &digest, &signature).is_ok(),
                }
            }
            Key::P256(key) => {
                p256::ecdsa::Signature::from_slice(&signature).is_ok_and(|s| key.verify(message, &s).is_ok())
            }
            Key::P384(key) => {
                p384::ecdsa::Signature::from_slice(&signature).is_ok_and(|s| key.verify(message, &s).is_ok())
            }
        }
    }
}

enum Scheme {
    V15(Pkcs1v15Sign),
    Pss(Pss),
}

/// HMAC compared in constant time.
fn hmac_ok<M: Mac + hmac::digest::KeyInit>(secret: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(signature).is_ok()
}

/// An RSA public key in PEM: SubjectPublicKeyInfo (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`).
fn rsa_key(pem: &str) -> Result<RsaPublicKey, String> {
    let pem = pem.trim();
    if pem.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        RsaPublicKey::from_pkcs1_pem(pem).map_err(|e| e.to_string())
    } else {
        RsaPublicKey::from_public_key_pem(pem).map_err(|e| e.to_string())
    }
}

/// An EC public key in PEM (`PUBLIC KEY`) on the algorithm's curve; a key on the other
/// curve is named as such.
fn ec_key(algorithm: &str, pem: &str) -> Result<Key, String> {
    let pem = pem.trim();
    let p256 = || p256::ecdsa::VerifyingKey::from_public_key_pem(pem);
    let p384 = || p384::ecdsa::VerifyingKey::from_public_key_pem(pem);
    let refused = |e: p256::pkcs8::spki::Error, other_curve: Option<&str>| match other_curve {
        Some(curve) => format!("jwt_auth.public_key cannot verify {algorithm}: the key is on {curve}"),
        None => format!("jwt_auth.public_key is not a PEM EC public key: {e}"),
    };
    if algorithm == "ES384" {
        p384()
            .map(Key::P384)
            .map_err(|e| refused(e, p256().is_ok().then_some("P-256")))
    } else {
        p256()
            .map(Key::P256)
            .map_err(|e| refused(e, p384().is_ok().then_some("P-384")))
    }
}
