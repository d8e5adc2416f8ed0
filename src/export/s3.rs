//! S3 (and S3-compatible stores) through `object_store`, the client polars and arrow use.
//!
//! **Credentials** come from the standard AWS places, in this order, and errors name the
//! one used (never the secret): the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`); a profile (`AWS_PROFILE`, else
//! `default`) in `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`; web identity or
//! container credentials when their variables are set. Instance metadata (EC2 roles) is
//! only asked when `LATENT_S3_INSTANCE_METADATA=1`, so a machine without it does not
//! wait on a timeout. **Endpoint**: `AWS_ENDPOINT_URL` or `--endpoint-url` for
//! S3-compatible stores (MinIO, moto, Ceph), path-style; plain `http://` is allowed there.
//! **Region**: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's, else `us-east-1`.
//!
//! **Uploads** go file by file, large ones as multipart uploads (`LATENT_S3_PART_SIZE`
//! bytes per part, default 8 MiB; S3 needs at least 5 MiB). Each upload is verified: the object's size from a HEAD request,
//! then its SHA-256 read back against the manifest. `manifest.json` goes last; an
//! existing export at the prefix is refused unless `--overwrite`, which first deletes the
//! old manifest (readers then see no export rather than a mix), uploads, and writes the
//! new manifest. Then objects in the format folders (`bundle/`, `spark/`, ...) that the
//! new manifest does not list are removed: leftovers of the old export or of an upload
//! that failed. A failed upload leaves no manifest, and running the export again
//! restarts it cleanly.
//!
//! `LATENT_S3_TIMEOUT_SECS` (default 60) bounds each request and `LATENT_S3_RETRIES`
//! (default 3) the retries of a failed one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{
    ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};

use super::manifest::{MANIFEST, Manifest, sha256_bytes};
use super::redact::{mask_url_credentials, url_secret};
use super::safe_path::{UnsafePath, resolve_inside};

mod profile;
mod url;

use profile::profile_keys;

pub use url::{S3Url, SUPPORTED};

/// Why an S3 transfer failed.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("invalid S3 URL '{url}': {message}")]
    BadUrl { url: String, message: String },
    #[error("'{url}' uses '{scheme}://', which latent does not support: use {SUPPORTED}")]
    UnsupportedScheme { url: String, scheme: String },
    #[error("'{url}' holds a {MANIFEST} latent cannot use: {message}")]
    BadManifest { url: String, message: String },
    #[error("'{url}' is refused: {error}; a model lists only paths inside its own folder")]
    UnsafePath { url: String, error: UnsafePath },
    #[error(
        "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials (AWS_PROFILE)"
    )]
    NoCredentials,
    #[error("cannot read AWS profile '{profile}' in '{file}': {message}")]
    Profile {
        profile: String,
        file: PathBuf,
        message: String,
    },
    #[error("S3 refused the credentials from {source_name} for '{url}': {message}")]
    Auth {
        url: String,
        source_name: String,
        message: String,
    },
    #[error(
        "export target '{0}' exists (it has a manifest.json): replace it, or choose another destination"
    )]
    Exists(String),
    #[error("'{url}' has no {MANIFEST}: it is not a complete latent export")]
    NoManifest { url: String },
    #[error("S3 request for '{url}' failed (endpoint {endpoint}): {message}")]
    Request {
        url: String,
        endpoint: String,
        message: String,
    },
    #[error("upload of '{url}' did not verify: {message}")]
    Verify { url: String, message: String },
    #[error("cannot use local file '{path}': {message}")]
    Local { path: PathBuf, message: String },
}

impl S3Error {
    /// The setting this error asks the user to change; each edge names where it lives.
    pub fn knob(&self) -> Option<crate::knob::Knob> {
        matches!(self, S3Error::Exists(_)).then_some(crate::knob::Knob::Overwrite)
    }

    /// Input errors: a bad URL, missing or refused credentials, an existing target, a
    /// prefix without an export. Network failures are not.
    pub fn is_input_error(&self) -> bool {
        !matches!(
            self,
            S3Error::Request { .. } | S3Error::Verify { .. } | S3Error::Local { .. }
        )
    }
}

/// A connected bucket and prefix.
pub struct S3Target {
    store: Arc<dyn ObjectStore>,
    url: S3Url,
    /// Where the credentials came from, for messages.
    source_name: String,
    endpoint: String,
    /// Strings never to print (the secret key, the session token).
    secrets: Vec<String>,
    part_size: usize,
}

impl std::fmt::Debug for S3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Target")
            .field("url", &self.url)
            .field("credentials", &self.source_name)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

pub(super) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_number(name: &str, default: u64) -> u64 {
    env(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

impl S3Target {
    /// Connects to `url` with the standard credential chain; `endpoint` overrides
    /// `AWS_ENDPOINT_URL`.
    pub fn connect(url: &S3Url, endpoint: Option<&str>) -> Result<Self, S3Error> {
        // Once per process; a second call finds it installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::new().with_bucket_name(&url.bucket);
        let mut secrets = Vec::new();
        let source_name;
        let mut region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
        if let Some(id) = env("AWS_ACCESS_KEY_ID") {
            let secret = env("AWS_SECRET_ACCESS_KEY").ok_or(S3Error::NoCredentials)?;
            builder = builder
                .with_access_key_id(&id)
                .with_secret_access_key(&secret);
            secrets.push(secret);
            if let Some(token) = env("AWS_SESSION_TOKEN") {
                builder = builder.with_token(&token);
                secrets.push(token);
            }
            source_name = format!(
                "the environment (AWS_ACCESS_KEY_ID={}, AWS_SECRET_ACCESS_KEY)",
                mask(&id)
            );
        } else {
            let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
            if let Some(((id, secret, token, profile_region), file)) = profile_keys(&profile)? {
                builder = builder
                    .with_access_key_id(&id)
                    .with_secret_access_key(&secret);
                secrets.push(secret);
                if let Some(token) = token {
                    builder = builder.with_token(&token);
                    secrets.push(token);
                }
                region = region.or(profile_region);
                source_name = format!(
                    "profile '{profile}' in '{}' (aws_access_key_id={})",
                    file.display(),
                    mask(&id)
                );
            } else if env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
                builder = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
                source_name = "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".to_owned();
            } else if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
                || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
            {
                builder = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
                source_name = "container credentials (AWS_CONTAINER_CREDENTIALS_*)".to_owned();
            } else if env("LATENT_S3_INSTANCE_METADATA").as_deref() == Some("1") {
                builder = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
                source_name = "instance metadata (LATENT_S3_INSTANCE_METADATA=1)".to_owned();
            } else {
                return Err(S3Error::NoCredentials);
            }
        }
        let endpoint = endpoint
            .map(str::to_owned)
            .or_else(|| env("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env("AWS_ENDPOINT_URL"));
        if let Some(secret) = endpoint.as_deref().and_then(url_secret) {
            secrets.push(secret.to_owned());
        }
        if let Some(e) = &endpoint {
            builder = builder
                .with_endpoint(e.trim_end_matches('/'))
                .with_virtual_hosted_style_request(false);
        }
        let allow_http = endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"));
        let timeout = Duration::from_secs(env_number("LATENT_S3_TIMEOUT_SECS", 60).max(1));
        builder = builder
            .with_region(region.unwrap_or_else(|| "us-east-1".to_owned()))
            .with_client_options(
                // `allow_http` lives in the client options: set it here, not on the builder,
                // which these options would replace.
                ClientOptions::new()
                    .with_allow_http(allow_http)
                    .with_timeout(timeout)
                    .with_connect_timeout(timeout.min(Duration::from_secs(10))),
            )
            .with_retry(RetryConfig {
                max_retries: env_number("LATENT_S3_RETRIES", 3) as usize,
                retry_timeout: timeout * 2,
                ..RetryConfig::default()
            });
        let scrub = |text: &str| {
            secrets.iter().fold(mask_url_credentials(text), |t, s| {
                t.replace(s.as_str(), "***")
            })
        };
        let store = builder.build().map_err(|e| S3Error::BadUrl {
            url: url.to_string(),
            message: scrub(&e.to_string()),
        })?;
        let endpoint = endpoint.map_or_else(|| "AWS".to_owned(), |e| scrub(&e));
        Ok(Self {
            store: Arc::new(store),
            url: url.clone(),
            source_name,
            endpoint,
            secrets,
            // S3 wants parts of at least 5 MiB (the last aside); smaller ones are for
            // S3-compatible stores that accept them, such as the tests' moto.
            part_size: env_number("LATENT_S3_PART_SIZE", 8 << 20).max(64 << 10) as usize,
        })
    }

    /// The URL this target writes to.
    pub fn url(&self) -> &S3Url {
        &self.url
    }

    /// `text` without any secret: credentials in URLs masked, known secrets replaced.
    fn scrub(&self, text: &str) -> String {
        let mut text = mask_url_credentials(text);
        for s in &self.secrets {
            text = text.replace(s.as_str(), "***");
        }
        text
    }

    /// Turns an object_store error into ours, naming the credential source on refusals
    /// and never printing a secret.
    fn fail(&self, rel: &str, e: &object_store::Error) -> S3Error {
        let url = self.url.display(rel);
        let message = self.scrub(&e.to_string());
        let refused = matches!(
            e,
            object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
        ) || [
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
            "403 Forbidden",
        ]
        .iter()
        .any(|m| message.contains(m));
        if refused {
            S3Error::Auth {
                url,
                source_name: self.source_name.clone(),
                message,
            }
        } else {
            S3Error::Request {
                url,
                endpoint: self.endpoint.clone(),
                message,
            }
        }
    }

    async fn exists(&self, rel: &str) -> Result<bool, S3Error> {
        match self.store.head(&self.url.key(rel)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.fail(rel, &e)),
        }
    }

    /// A fingerprint of the manifest as the store describes it (ETag, size and time), or
    /// `None` while there is none (an upload has not finished): what `serve --watch`
    /// compares, without downloading the manifest every tick.
    pub async fn manifest_fingerprint(&self) -> Result<Option<String>, S3Error> {
        match self.store.head(&self.url.key(MANIFEST)).await {
            Ok(meta) => Ok(Some(format!(
                "{}:{}:{}",
                meta.e_tag.unwrap_or_default(),
                meta.size,
                meta.last_modified.timestamp_nanos_opt().unwrap_or_default()
            ))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail(MANIFEST, &e)),
        }
    }

    /// Uploads the staged export in `dir` (whose manifest is `manifest`), each file
    /// verified, `manifest.json` last. `progress` gets one line per file.
    pub async fn upload(
        &self,
        dir: &Path,
        manifest: &Manifest,
        overwrite: bool,
        progress: &mut dyn FnMut(&str),
    ) -> Result<(), S3Error> {
        let old = self.exists(MANIFEST).await?;
        if old && !overwrite {
            return Err(S3Error::Exists(self.url.to_string()));
        }
        if old {
            self.store
                .delete(&self.url.key(MANIFEST))
                .await
                .map_err(|e| self.fail(MANIFEST, &e))?;
        }
        let total = manifest.files.len();
        for (n, f) in manifest.files.iter().enumerate() {
            self.put_file(&dir.join(&f.path), &f.path).await?;
            self.verify(&f.path, f.size, &f.sha256).await?;
            progress(&format!(
                "uploaded {}/{total} {} ({} bytes)",
                n + 1,
                f.path,
                f.size
            ));
        }
        let text = std::fs::read(dir.join(MANIFEST)).map_err(|e| S3Error::Local {
            path: dir.join(MANIFEST),
            message: e.to_string(),
        })?;
        let sum = sha256_bytes(&text);
        self.store
            .put(&self.url.key(MANIFEST), PutPayload::from(text.clone()))
            .await
            .map_err(|e| self.fail(MANIFEST, &e))?;
        self.verify(MANIFEST, text.len() as u64, &sum).await?;
        progress(&format!("uploaded {MANIFEST}"));
        self.remove_unlisted(manifest).await
    }

    async fn put_file(&self, path: &Path, rel: &str) -> Result<(), S3Error> {
        let local = |e: std::io::Error| S3Error::Local {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let size = std::fs::metadata(path).map_err(local)?.len();
        let key = self.url.key(rel);
        if size <= self.part_size as u64 {
            let bytes = std::fs::read(path).map_err(local)?;
            self.store
                .put(&key, PutPayload::from(bytes))
                .await
                .map_err(|e| self.fail(rel, &e))?;
            return Ok(());
        }
        let upload = self
            .store
            .put_multipart(&key)
            .await
            .map_err(|e| self.fail(rel, &e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
        let mut file = std::fs::File::open(path).map_err(local)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut file, &mut buf).map_err(local)?;
            if n == 0 {
                break;
            }
            // Keeps at most two parts in flight.
            writer
                .wait_for_capacity(2)
                .await
                .map_err(|e| self.fail(rel, &e))?;
            writer.write(&buf[..n]);
        }
        writer.finish().await.map_err(|e| self.fail(rel, &e))?;
        Ok(())
    }

    /// Checks an uploaded object: size from HEAD, then its contents' SHA-256.
    async fn verify(&self, rel: &str, size: u64, sha256: &str) -> Result<(), S3Error> {
        let key = self.url.key(rel);
        let meta = self
            .store
            .head(&key)
            .await
            .map_err(|e| self.fail(rel, &e))?;
        if meta.size != size {
            return Err(S3Error::Verify {
                url: self.url.display(rel),
                message: format!("{} bytes stored where {size} were sent", meta.size),
            });
        }
        let sum = self.sha256_of(rel).await?;
        if sum != sha256 {
            return Err(S3Error::Verify {
                url: self.url.display(rel),
                message: format!("sha256 {sum} stored where {sha256} was sent"),
            });
        }
        Ok(())
    }

    async fn sha256_of(&self, rel: &str) -> Result<String, S3Error> {
        use sha2::Digest;
        let got = self
            .store
            .get(&self.url.key(rel))
            .await
            .map_err(|e| self.fail(rel, &e))?;
        let mut stream = got.into_stream();
        let mut hasher = sha2::Sha256::new();
        while let Some(chunk) = stream.try_next().await.map_err(|e| self.fail(rel, &e))? {
            hasher.update(&chunk);
        }
        Ok(super::manifest::hex(&hasher.finalize()))
    }

    async fn remove_unlisted(&self, manifest: &Manifest) -> Result<(), S3Error> {
        let prefix = (!self.url.prefix.is_empty()).then(|| Key::from(self.url.prefix.as_str()));
        let listed: std::collections::HashSet<Key> = manifest
            .files
            .iter()
            .map(|f| self.url.key(&f.path))
            .chain(std::iter::once(self.url.key(MANIFEST)))
            .collect();
        let objects: Vec<_> = self
            .store
            .list(prefix.as_ref())
            .try_collect()
            .await
            .map_err(|e| self.fail("", &e))?;
        // Only our own folders: the prefix may hold other things.
        let ours: Vec<String> = super::Format::ALL
            .iter()
            .map(|f| format!("{}/", self.url.key(f.name())))
            .collect();
        for o in objects {
            let key = o.location.as_ref();
            if !listed.contains(&o.location) && ours.iter().any(|p| key.starts_with(p.as_str())) {
                self.store
                    .delete(&o.location)
                    .await
                    .map_err(|e| self.fail(o.location.as_ref(), &e))?;
            }
        }
        Ok(())
    }

    /// Downloads the export or bundle at this prefix into `dir`: the manifest first,
    /// then every file it lists, each checked against its SHA-256.
    pub async fn download(&self, dir: &Path) -> Result<Manifest, S3Error> {
        let local = |path: &Path, e: &dyn std::fmt::Display| S3Error::Local {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let text = match self.store.get(&self.url.key(MANIFEST)).await {
            Ok(r) => r.bytes().await.map_err(|e| self.fail(MANIFEST, &e))?,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(S3Error::NoManifest {
                    url: self.url.to_string(),
                });
            }
            Err(e) => return Err(self.fail(MANIFEST, &e)),
        };
        let manifest = Manifest::parse(&text, &self.url.to_string()).map_err(|e| match e {
            super::ExportError::UnsafePath { error, .. } => S3Error::UnsafePath {
                url: self.url.display(MANIFEST),
                error,
            },
            e => S3Error::BadManifest {
                url: self.url.display(MANIFEST),
                message: e.to_string(),
            },
        })?;
        std::fs::create_dir_all(dir).map_err(|e| local(dir, &e))?;
        std::fs::write(dir.join(MANIFEST), &text).map_err(|e| local(dir, &e))?;
        for f in &manifest.files {
            // Parsing refused escaping paths; this also refuses a link on the way.
            let path = resolve_inside(dir, &f.path).map_err(|error| S3Error::UnsafePath {
                url: self.url.display(MANIFEST),
                error,
            })?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| local(parent, &e))?;
            }
            let bytes = self
                .store
                .get(&self.url.key(&f.path))
                .await
                .map_err(|e| self.fail(&f.path, &e))?
                .bytes()
                .await
                .map_err(|e| self.fail(&f.path, &e))?;
            let sum = sha256_bytes(&bytes);
            if sum != f.sha256 {
                return Err(S3Error::Verify {
                    url: self.url.display(&f.path),
                    message: format!("sha256 {sum} where the manifest says {}", f.sha256),
                });
            }
            std::fs::write(&path, &bytes).map_err(|e| local(&path, &e))?;
        }
        Ok(manifest)
    }

    /// Whether this prefix holds a complete export (has a manifest).
    pub async fn has_export(&self) -> Result<bool, S3Error> {
        self.exists(MANIFEST).await
    }
}

/// `AKIA…WXYZ`: enough to tell keys apart, not enough to use one.
fn mask(id: &str) -> String {
    let n = id.chars().count();
    if n <= 8 {
        return "*".repeat(n);
    }
    let head: String = id.chars().take(4).collect();
    let tail: String = id.chars().skip(n - 4).collect();
    format!("{head}…{tail}")
}

/// A current-thread tokio runtime for the CLI's blocking callers.
pub fn runtime() -> Result<tokio::runtime::Runtime, S3Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| S3Error::Local {
            path: PathBuf::from("."),
            message: format!("cannot start the async runtime: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask("AKIAABCDEFGHWXYZ"), "AKIA…WXYZ");
        assert_eq!(mask("short"), "*****");
    }
}
