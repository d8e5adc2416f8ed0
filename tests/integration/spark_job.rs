//! `latent export --format spark-job` run by the real pyspark (`local[2]`), and `latent
//! import spark-model` bringing its model back: same cleaning as latent, and the imported
//! model evaluates within 10 % of latent's own Spark-convention ALS on the same split.
//!
//! pyspark comes from the venv `scripts/provision` builds (`LATENT_PYTHON`); a missing pyspark fails
//! the test with a message, it is never skipped.

use std::path::Path;
use std::process::Command;

use crate::export::python;
use crate::util::{Scratch, s, sample};

/// Runs the exported job with `--data DATA --out OUT`; returns its JSON report.
fn run_job(job_dir: &Path, data: &Path, out: &Path) -> serde_json::Value {
    let py = python();
    let probe = Command::new(&py)
        .args(["-c", "import pyspark"])
        .output()
        .expect("run python");
    assert!(
        probe.status.success(),
        "pyspark is not installed in '{}': run scripts/test (it installs pyspark) or set LATENT_PYTHON\n{}",
        py.display(),
        String::from_utf8_lossy(&probe.stderr)
    );
    let done = Command::new(&py)
        .arg(job_dir.join("latent_als_job.py"))
        .args(["--data", s(data), "--master", "local[2]", "--out", s(out)])
        .current_dir(job_dir)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .expect("run the spark job");
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "latent_als_job.py failed:\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("job report '{last}': {e}"))
}

/// Exports the spark-job of `run` into `scratch/name` and returns its folder.
fn export_job(scratch: &Scratch, run: &Path, name: &str) -> std::path::PathBuf {
    let to = scratch.path(name);
    let report = scratch
        .run([
            "export",
            "--run",
            s(run),
            "--to",
            s(&to),
            "--format",
            "spark-job",
        ])
        .ok()
        .to_owned();
    assert!(report.contains("spark-job"), "{report}");
    let job_dir = to.join("spark-job");
    let job: serde_json::Value =
        serde_json::from_slice(&std::fs::read(job_dir.join("job.json")).unwrap()).unwrap();
    assert_eq!(job["format"], "latent-spark-job");
    assert_eq!(job["interactions"]["ranking_type"], "count");
    assert_eq!(job["cleaning"]["cancellations"], "drop");
    assert!(
        job["convention"]["note"]
            .as_str()
            .unwrap()
            .starts_with("exact"),
        "{job}"
    );
    job_dir
}

fn precision(scratch: &Scratch, run: &Path, test: &Path) -> (f64, u64) {
    let out = scratch
        .run([
            "eval",
            "--run",
            s(run),
            "--test",
            s(test),
            "--k",
            "10",
            "--json",
        ])
        .ok()
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    (
        v["model"]["precision"].as_f64().unwrap(),
        v["users"].as_u64().unwrap(),
    )
}

/// The raw sample (`;`-separated, two date formats, `NA` customers, cancellations) is
/// cleaned and aggregated by Spark exactly as by latent.
#[test]
fn spark_job_cleans_the_raw_sample_as_latent() {
    let scratch = Scratch::new();
    let data = sample("online_retail_sample.csv");
    let run = scratch.path("run");
    let trained = scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--set",
            "als_rank=8",
            "--set",
            "max_iter=5",
            "--out",
            s(&run),
        ])
        .ok()
        .to_owned();
    let job_dir = export_job(&scratch, &run, "export");
    let out = scratch.path("spark-out");
    let report = run_job(&job_dir, &data, &out);
    assert_eq!(report["rows_read"], 5000, "{report}");
    assert_eq!(report["rows_kept"], 3198, "{report}");
    let shape = format!(
        "{} customers x {} products ({} pairs)",
        report["customers"], report["products"], report["pairs"]
    );
    assert!(trained.contains(&shape), "latent: {trained}spark: {shape}");
    assert!(out.join("recommendations").is_dir());

    // Imported without --data: the ids come from the sidecar; the note says the matrix is empty.
    let imported = scratch.path("imported");
    let said = scratch
        .run([
            "import",
            "spark-model",
            s(&out.join("model")),
            "--out",
            s(&imported),
        ])
        .ok()
        .to_owned();
    assert!(said.contains("with latent's sidecar"), "{said}");
    assert!(said.contains("no --data"), "{said}");
    let recs = scratch
        .run([
            "recommend",
            "--run",
            s(&imported),
            "--user",
            "17850",
            "--top",
            "3",
        ])
        .ok()
        .to_owned();
    assert!(recs.contains("17850"), "{recs}");
}

/// On a temporal split of the complete Online Retail data, the model Spark trains from the
/// exported job, imported back, is within 10 % (relative) of latent's precision@10.
///
/// The 5,000-line sample is too small for this comparison: its 147 warm test customers
/// give about nine hits in 1,470 slots, and latent's own precision moves by ±50 % from
/// one seed to another. On the complete data (1,264 warm customers) seeds move it by
/// about ±6 %, so 10 % measures the recipe, not the luck of the initial factors.
#[test]
fn spark_job_model_imported_back_evaluates_as_latent() {
    let scratch = Scratch::new();
    let (train, test) = (scratch.path("train.parquet"), scratch.path("test.parquet"));
    scratch
        .run([
            "data",
            "split",
            s(&sample("online_retail_full.parquet")),
            "--train-out",
            s(&train),
            "--test-out",
            s(&test),
            "--test-last-days",
            "30",
        ])
        .ok();
    let run = scratch.path("latent-run");
    scratch
        .run([
            "train",
            "--data",
            s(&train),
            "--set",
            "als_rank=8",
            "--set",
            "max_iter=5",
            "--out",
            s(&run),
        ])
        .ok();
    let job_dir = export_job(&scratch, &run, "export");
    let out = scratch.path("spark-out");
    run_job(&job_dir, &train, &out);

    let imported = scratch.path("spark-run");
    let said = scratch
        .run([
            "import",
            "spark-model",
            s(&out.join("model")),
            "--out",
            s(&imported),
            "--data",
            s(&train),
        ])
        .ok()
        .to_owned();
    assert!(said.contains("with latent's sidecar"), "{said}");
    let (ours, users) = precision(&scratch, &run, &test);
    let (spark, spark_users) = precision(&scratch, &imported, &test);
    assert_eq!(users, spark_users, "both runs know the same customers");
    assert!(users > 1000, "{users} warm customers");
    let gap = (spark - ours).abs() / ours;
    assert!(
        gap <= 0.10,
        "precision@10: latent {ours:.4}, spark {spark:.4} ({:.1} % apart)",
        gap * 100.0
    );
}

/// A folder that is not a Spark model is refused, naming the file and the problem.
#[test]
fn import_refuses_what_is_not_an_als_model() {
    let scratch = Scratch::new();
    let dir = scratch.path("model");
    std::fs::create_dir_all(dir.join("metadata")).unwrap();
    std::fs::write(
        dir.join("metadata/part-00000"),
        r#"{"class":"org.apache.spark.ml.recommendation.ALSModel","rank":4}"#,
    )
    .unwrap();
    let err = scratch
        .run([
            "import",
            "spark-model",
            s(&dir),
            "--out",
            s(&scratch.path("run")),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("userFactors") && err.contains("not a Spark ALSModel"),
        "{err}"
    );
    assert!(!scratch.path("run").exists());
}
