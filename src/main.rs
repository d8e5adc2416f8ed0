//! The `latent` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    latent::cli::main()
}
