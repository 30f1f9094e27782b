//! PBKDF2-HMAC-SHA512 behind one function that is not generic.
//!
//! qBittorrent hashes its Web UI password with 100,000 rounds of it
//! (`src/base/utils/password.cpp`), and the app hashes (and checks) that
//! password on every connect. The hash's generic code is compiled in the
//! crate that names the digest; here that is this crate, which the
//! workspace's dev profile optimises (`[profile.dev.package.tvpn-pbkdf2]`),
//! so a test or lab build hashes in tens of milliseconds rather than
//! seconds.

/// The 64-byte PBKDF2-HMAC-SHA512 of `password` with `salt`.
#[must_use]
pub fn hmac_sha512(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 64] {
    pbkdf2::pbkdf2_hmac_array::<sha2::Sha512, 64>(password, salt, rounds)
}

#[cfg(test)]
mod tests {
    use super::hmac_sha512;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The published PBKDF2-HMAC-SHA512 vectors for "password" / "salt"
    /// (the same figures as Python's `hashlib.pbkdf2_hmac`).
    #[test]
    fn known_vectors() {
        assert_eq!(
            hex(&hmac_sha512(b"password", b"salt", 1)),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252\
             c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"
        );
        assert_eq!(
            hex(&hmac_sha512(b"password", b"salt", 2)),
            "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c\
             f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e"
        );
    }
}
