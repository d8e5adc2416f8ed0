//! One integration test binary: the real `latent` binary on real files.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::needless_pass_by_value
)]

mod util;

// `latent data profile` on the shipped real data.
mod data_profile;
// Every kind of bad input: a clear message, exit code 2, never a panic.
mod audience;
mod bad_input;
// Every cleaning rule, counted exactly, and the `net` cancellation policy.
mod cleaning_rules;
// `latent data split` and `latent data synth` round trips.
mod data_split;
// `latent train`, `recommend` and `eval`: the headless contract.
mod train_cli;
// `latent tune`: reproducible, honest, one complete run, bad input.
mod tune;
// Re-buys shown: repeat and explore apart, the re-buy blend, tune choosing it.
mod rebuy;
// Model quality on real data: ALS against popularity on Online Retail and MovieLens.
mod quality;
// Factorization machines: quality on MovieLens and Online Retail, predict, bad input.
mod fm;
// FM runs for new customers (fold-in, measured on Online Retail) and `latent similar`.
mod fm_serving;
// The workspace's `[fm]` table: trained with, overridden by --set, kept in the run, checked.
mod fm_config;
// The TUI's screens and state, driven by events and rendered into a TestBackend.
mod tui_screens;
// The Data screen's loading gauge, fed by fake and by real progress events.
mod tui_loading;
// The `/` filter on the Train and Data tables.
mod tui_filters;
// Inspect with a real trained ALS run: history, recommendations, demo view.
mod tui_inspect_run;
// The open run as one state: background jobs, Export's hold-out warning and refit, delete.
mod tui_run_state;
// Enter drills into rows, `s` sorts every table, and long tables scroll.
mod tui_tables;
// The Monitor screen: drift and the retrain backtest, drawn.
mod tui_monitor;
// tmux sessions for the end-to-end workbench tests.
mod tmux;
// The real binary driven through tmux: load, train, inspect, quit.
mod tui_tmux;
// The run state points of #21 in a real terminal.
mod tui_tmux_state;
// `latent search`: products and customers of the demo data, the index built once and reused.
mod search;
// Business rules on recommendations: exclusions, forced products, boosts, cold start,
// explanations and what the rules cost in evaluation.
mod overrides;
// A run's life after training: refit on all data for production, archive, delete.
mod run_lifecycle;
// Workspaces: runs listed with their status, compared, replayed; sweeps; the lock; and
// failures (full disk, kill -9) that never harm earlier runs.
mod workspace_runs;
// `latent export`: every format opened by its real tool (numpy, pyarrow, implicit, pyspark),
// atomic targets, clear errors.
mod export;
// `latent serve` and `latent sagemaker train|serve`: the real server on 127.0.0.1.
mod serve;
// The seed system's SageMaker job: its als_spec.json as shipped, on the UCI CSV.
mod sagemaker_seed;
// `latent serve` following its model: reload under load, SIGHUP, --watch, /metrics.
mod serve_reload;
// `latent monitor`: drift with a planted shift and on Online Retail's autumn.
mod monitor;
// `latent update`: October folded in, scored on November against a full retrain.
mod update;
// `latent backtest`: how often to retrain, on 2011 in 30-day steps.
mod backtest;
// `latent export --to postgresql://`: a real server, atomic swaps, clear failures.
mod pg_server;
mod postgres_sink;
// What one client may cost `latent serve`: memory per batch, work budget, timeouts, limits.
mod serve_limits;
// `latent export --to s3://` and `serve --model s3://` against moto's S3 server on 127.0.0.1.
mod export_s3;
// `latent export --format spark-job` run by pyspark, and `latent import spark-model` back.
mod spark_job;
// Byte fuzzing (proptest) of the CSV reader, the workspace TOML and /invocations JSON.
mod fuzz;
// Issue #14 outside loader, exports and server: aliases, NaN runs, encodings, log mode.
mod hardening;
// Hostile manifests and archives, leftovers of killed exports, unsupported URLs, secrets.
mod hardening_paths;
// Runs written before the model redesign load and answer exactly as they did.
mod run_compat;
// The shape of the code: no import cycles, the TUI imported only by the CLI, short files.
mod architecture;
// One error, two edges: the CLI names its flags, the workbench its fields and keys.
mod workbench_words;
