//! RSA encryption of a password for `caching_sha2_password` full authentication (and
//! `sha256_password`) over a connection without TLS: (password + NUL) XOR scramble, encrypted
//! with RSA-OAEP (SHA-1) under the server's public key, as MySQL 8.0.5+ servers expect.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};

use super::AuthError;

/// Encrypts `password` for the server whose PEM public key is `pem`.
pub fn encrypt_password(
    password: &[u8],
    scramble: &[u8],
    pem: &[u8],
) -> Result<Vec<u8>, AuthError> {
    let pem = std::str::from_utf8(pem).map_err(|_| AuthError::BadPublicKey)?;
    let pem = pem.trim_matches(char::from(0)).trim();
    let key = RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|_| AuthError::BadPublicKey)?;
    let scramble = &scramble[..scramble.len().min(super::SCRAMBLE_LEN)];
    if scramble.is_empty() {
        return Err(AuthError::BadPublicKey);
    }
    let mut plain: Vec<u8> = password.to_vec();
    plain.push(0);
    for (i, b) in plain.iter_mut().enumerate() {
        *b ^= scramble[i % scramble.len()];
    }
    key.encrypt(&mut rand::thread_rng(), Oaep::new::<sha1::Sha1>(), &plain)
        .map_err(|_| AuthError::BadPublicKey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    use rsa::RsaPrivateKey;

    #[test]
    fn encrypts_so_the_server_can_decrypt() {
        let mut rng = rand::thread_rng();
        let private = RsaPrivateKey::new(&mut rng, 1024).expect("key");
        let pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem");
        let scramble = [7u8; 20];
        let c = encrypt_password(b"secret", &scramble, pem.as_bytes()).expect("encrypts");
        let plain = private
            .decrypt(Oaep::new::<sha1::Sha1>(), &c)
            .expect("decrypts");
        let clear: Vec<u8> = plain
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ scramble[i % 20])
            .collect();
        assert_eq!(clear, b"secret\0");
    }

    #[test]
    fn garbage_key_is_an_error() {
        assert!(encrypt_password(b"x", &[1; 20], b"not a key").is_err());
    }
}
