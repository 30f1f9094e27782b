//! Looking for leaked secrets.

use std::path::Path;

use base64::Engine;

/// Whether `text` contains `secret` raw or base64-encoded (standard
/// alphabet, padded).
pub fn contains_secret(text: &str, secret: &str) -> bool {
    let encoded = base64::engine::general_purpose::STANDARD.encode(secret.as_bytes());
    text.contains(secret) || text.contains(&encoded)
}

/// A file's text, empty when it cannot be read.
pub fn path_text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::contains_secret;

    #[test]
    fn finds_a_secret_raw_and_base64_encoded() {
        assert!(contains_secret("key=hunter2;", "hunter2"));
        // "hunter2", "hunter", "hunte" in standard base64, padded.
        assert!(contains_secret("x aHVudGVyMg== y", "hunter2"));
        assert!(contains_secret("aHVudGVy", "hunter"));
        assert!(contains_secret("aHVudGU=", "hunte"));
        assert!(!contains_secret("aHVudGVyMg", "hunter3"));
    }
}
