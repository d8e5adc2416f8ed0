//! `latent serve`: the SageMaker-style inference server over an exported bundle.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context;

use crate::models::hyper::ParamsError;
use crate::serve::{Follow, LoadedModel, ModelSource, ServeLimits, load_model, serve_blocking};

/// Arguments of `latent serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A bundle folder, an export folder holding one, a model.tar.gz, or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub model: String,
    /// TCP port (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on (0.0.0.0 for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// S3-compatible endpoint for s3:// models (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Check the model's folder or S3 prefix (its manifest.json) or archive every SECS
    /// seconds and serve a new one as soon as it passes its checks. POST /reload and
    /// SIGHUP reload on demand, watched or not.
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub watch: Option<Duration>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one client may cost the server (see `crate::serve::limits`).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Seconds a request head may take from its first byte to its last header; a slower
    /// client is disconnected.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    pub header_timeout: Duration,
    /// Seconds to receive a request body once its headers arrived (else 408), and that a
    /// client may leave an answer unread (else it is disconnected).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    pub body_timeout: Duration,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, value_name = "SECS", default_value = "75", value_parser = seconds)]
    pub idle_timeout: Duration,
    /// Connections served at once; one more closes the longest-idle connection, and when
    /// all are answering requests new ones wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = 512,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_connections: usize,
}

impl LimitArgs {
    /// The limits these flags set.
    pub fn limits(&self) -> ServeLimits {
        ServeLimits {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
        }
    }
}

/// Parses a positive number of seconds (fractions allowed, at most a day).
fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "'{text}' is not a number of seconds above 0 and at most 86400 (such as 10 or 0.5)"
        )),
    }
}

/// Parses `host` and `port` into a socket address.
pub fn address(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    let ip: IpAddr = host.parse().map_err(|_| ParamsError::BadValue {
        key: "--host".into(),
        value: host.to_owned(),
        expected: "an IP address such as 127.0.0.1 or 0.0.0.0",
    })?;
    Ok(SocketAddr::new(ip, port))
}

/// Serves `model` on `addr` with the default limits, printing the address once listening.
pub fn serve(
    model: LoadedModel,
    addr: SocketAddr,
    follow: Follow,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    serve_with(model, addr, ServeLimits::default(), follow, out)
}

/// Serves `model` on `addr` under `limits`, printing the address once listening.
pub fn serve_with(
    model: LoadedModel,
    addr: SocketAddr,
    limits: ServeLimits,
    follow: Follow,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let run = &model.run;
    writeln!(
        out,
        "loaded {} model of run '{}' from {}: {} customers, {} products",
        run.meta.model.name(),
        model.manifest.run_id,
        model.source,
        run.users.len(),
        run.items.len()
    )?;
    out.flush()?;
    serve_blocking(model, addr, limits, follow, |bound| {
        writeln!(out, "listening on http://{bound}")?;
        out.flush()
    })?;
    writeln!(out, "stopped")?;
    Ok(())
}

/// Runs `latent serve`.
pub fn run(args: &ServeArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let addr = address(&args.host, args.port)?;
    let model = load_model(&args.model, args.endpoint_url.as_deref())
        .with_context(|| format!("loading model '{}'", args.model))?;
    let follow = Follow {
        source: Some(ModelSource {
            spec: args.model.clone(),
            endpoint: args.endpoint_url.clone(),
        }),
        watch: args.watch,
    };
    serve_with(model, addr, args.limits.limits(), follow, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        limits: LimitArgs,
    }

    #[test]
    fn flag_defaults_are_the_library_defaults_and_bad_values_are_refused() {
        let parsed = Flags::try_parse_from(["serve"]).unwrap();
        assert_eq!(parsed.limits.limits(), ServeLimits::default());
        let parsed = Flags::try_parse_from(["serve", "--idle-timeout", "0.25"]).unwrap();
        assert_eq!(parsed.limits.idle_timeout, Duration::from_millis(250));
        for bad in [
            ["--idle-timeout", "0"],
            ["--header-timeout", "-1"],
            ["--body-timeout", "NaN"],
            ["--max-connections", "0"],
        ] {
            assert!(
                Flags::try_parse_from(["serve", bad[0], bad[1]]).is_err(),
                "{bad:?}"
            );
        }
    }
}
