//! AWS shared credential files: `[profile]` sections of `~/.aws/credentials` and the
//! region from `~/.aws/config`, read without the AWS SDK.

use std::path::PathBuf;

use super::{S3Error, env};

/// Static keys from a profile file: (access key, secret, token, region).
pub(super) type ProfileKeys = (String, String, Option<String>, Option<String>);

pub(super) fn profile_keys(profile: &str) -> Result<Option<(ProfileKeys, PathBuf)>, S3Error> {
    let home = env("HOME").map(PathBuf::from);
    let file = match env("AWS_SHARED_CREDENTIALS_FILE") {
        Some(f) => PathBuf::from(f),
        None => match &home {
            Some(h) => h.join(".aws").join("credentials"),
            None => return Ok(None),
        },
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Ok(None);
    };
    let section = ini_section(&text, profile);
    let Some(section) = section else {
        return Ok(None);
    };
    let get = |k: &str| {
        section
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (Some(id), Some(secret)) = (get("aws_access_key_id"), get("aws_secret_access_key")) else {
        return Err(S3Error::Profile {
            profile: profile.to_owned(),
            file,
            message: "it lacks aws_access_key_id or aws_secret_access_key".into(),
        });
    };
    let config = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".aws").join("config")));
    let region = get("region").or_else(|| {
        let text = std::fs::read_to_string(config?).ok()?;
        let name = if profile == "default" {
            "default".to_owned()
        } else {
            format!("profile {profile}")
        };
        ini_section(&text, &name)?
            .into_iter()
            .find(|(k, _)| k == "region")
            .map(|(_, v)| v)
    });
    Ok(Some(((id, secret, get("aws_session_token"), region), file)))
}

/// The `key = value` pairs of `[name]` in an INI text.
fn ini_section(text: &str, name: &str) -> Option<Vec<(String, String)>> {
    let mut inside = false;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(head) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = head.trim() == name;
            if inside {
                found.get_or_insert_with(Vec::new);
            }
            continue;
        }
        if inside
            && let Some((k, v)) = line.split_once('=')
            && let Some(pairs) = found.as_mut()
        {
            let pairs: &mut Vec<(String, String)> = pairs;
            pairs.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles() {
        let text =
            "[default]\naws_access_key_id = A\n\n[profile other]\nregion=eu\n[x]\n# c\nk = v\n";
        assert_eq!(
            ini_section(text, "default").unwrap(),
            [("aws_access_key_id".to_owned(), "A".to_owned())]
        );
        assert_eq!(ini_section(text, "x").unwrap()[0].1, "v");
        assert!(ini_section(text, "missing").is_none());
    }
}
