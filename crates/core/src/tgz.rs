//! One gzip'd tar file of named entries, for the files the user takes
//! away (a backup, a diagnostics bundle).

use std::io::Write as _;
use std::path::Path;

/// Write `entries` (path inside, bytes) as a gzip'd tar at `path`, each
/// entry mode 0600 with `mtime` (seconds). Written to a temporary file
/// beside it first (mode 0600 on Unix), then renamed: a failure leaves no
/// half file, and an existing file is replaced.
pub(crate) fn write<'a>(
    path: &Path,
    entries: impl IntoIterator<Item = (String, &'a [u8])>,
    mtime: u64,
    level: flate2::Compression,
) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let mut tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new(".")))?;
    {
        let gz = flate2::write::GzEncoder::new(tmp.as_file_mut(), level);
        let mut tar = tar::Builder::new(gz);
        for (name, bytes) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o600);
            h.set_mtime(mtime);
            h.set_cksum();
            tar.append_data(&mut h, name, bytes)?;
        }
        let mut gz = tar.into_inner()?;
        gz.flush()?;
        gz.finish()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
