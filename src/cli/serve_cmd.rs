//! `latent serve`: the SageMaker-style inference server over an exported bundle.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use anyhow::Context;

use crate::models::hyper::ParamsError;
use crate::serve::{LoadedModel, load_model, serve_blocking};

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

/// Serves `model` on `addr`, printing the address once listening.
pub fn serve(model: LoadedModel, addr: SocketAddr, out: &mut dyn Write) -> anyhow::Result<()> {
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
    serve_blocking(model, addr, |bound| {
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
    serve(model, addr, out)
}
