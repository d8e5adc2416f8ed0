//! `latent export`: every format opened by its home tool (numpy, pyarrow, implicit,
//! pyspark from the venv that `scripts/provision` builds), batch lists identical to `latent
//! recommend`, and the target either the old export or the new one, never a mix.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Scratch, s, sample};

/// The Python with numpy, pyarrow, implicit, pyspark and moto: `LATENT_PYTHON`, else the
/// venv `scripts/provision` makes.
pub fn python() -> PathBuf {
    let p = std::env::var_os("LATENT_PYTHON").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").expect("HOME"))
                .join(".cache/latent-venv/bin/python")
        },
        PathBuf::from,
    );
    assert!(
        p.exists(),
        "no Python at '{}': run scripts/test (it creates the venv) or set LATENT_PYTHON",
        p.display()
    );
    p
}

/// A second venv with pyspark 3.5, so exports are proven against both Spark lines the
/// issue names: `LATENT_PYTHON_SPARK35`, else the venv `scripts/provision` makes.
pub fn python_spark35() -> PathBuf {
    let p = std::env::var_os("LATENT_PYTHON_SPARK35").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").expect("HOME"))
                .join(".cache/latent-venv-spark35/bin/python")
        },
        PathBuf::from,
    );
    assert!(
        p.exists(),
        "no Python with pyspark 3.5 at '{}': run scripts/test (it creates the venv) or set LATENT_PYTHON_SPARK35",
        p.display()
    );
    p
}

/// Runs `scripts/NAME ARGS` with [`python`]; asserts success and returns stdout.
pub fn run_script(name: &str, args: &[&str]) -> String {
    run_script_with(&python(), name, args)
}

/// Runs `scripts/NAME ARGS` with the Python `py`; asserts success and returns stdout.
pub fn run_script_with(py: &Path, name: &str, args: &[&str]) -> String {
    let out = Command::new(py)
        .arg(crate::util::root().join("scripts").join(name))
        .args(args)
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{name} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Trains ALS on the shipped sample into `scratch/name`, with the seed's 10 factors: the
/// readers are compared list by list with latent, and on a sample this small 64 factors
/// leave near-ties (score gaps of 1e-7) that another library's float order may swap.
pub fn train_sample(scratch: &Scratch, name: &str, model: &str) -> PathBuf {
    let run = scratch.path(name);
    let data = sample("online_retail_sample.csv");
    let mut args = vec![
        "train",
        "--data",
        s(&data),
        "--model",
        model,
        "--out",
        s(&run),
    ];
    if model.starts_with("als") {
        args.extend(["--set", "als_rank=10", "--set", "reg_param=0.1"]);
        args.extend(["--set", "max_iter=10"]);
    }
    scratch.run(args).ok();
    run
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_format_opens_in_numpy_pyarrow_and_implicit() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "als");
    let out = scratch.path("export");
    let report = scratch
        .run([
            "export",
            "--run",
            s(&run),
            "--to",
            s(&out),
            "--format",
            "all",
        ])
        .ok()
        .to_owned();
    assert!(
        report.contains("bundle,spark,implicit,recs,sagemaker"),
        "{report}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format_version"], 1);
    assert_eq!(manifest["run_id"], "run");
    assert_eq!(manifest["model_kind"], "als");
    let listed: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    let mut on_disk = files_under(&out);
    on_disk.retain(|f| f != "manifest.json");
    assert_eq!(listed, on_disk, "the manifest lists every file");
    for f in [
        "bundle/manifest.json",
        "bundle/als_spec.json",
        "bundle/users.parquet",
        "bundle/item_factors.npy",
        "bundle/popularity.parquet",
        "bundle/overrides.toml",
        "spark/metadata/part-00000",
        "spark/latent_sidecar.json",
        "implicit/model.npz",
        "recs/recs.parquet",
        "recs/recs.csv",
        "sagemaker/model.tar.gz",
    ] {
        assert!(listed.contains(&f.to_owned()), "{f} missing: {listed:?}");
    }
    // No staging folder is left beside the target.
    let beside: Vec<String> = std::fs::read_dir(scratch.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("latent-export"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");

    let summary = run_script("check_export.py", &[s(&out)]);
    let v: serde_json::Value = serde_json::from_str(summary.trim()).unwrap();
    assert!(v["customers"].as_u64().unwrap() > 1000, "{summary}");
    assert_eq!(v["implicit_same_lists"].as_f64(), Some(1.0), "{summary}");
}

#[test]
fn spark_loads_the_model_and_recommends_as_latent() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "als");
    let out = scratch.path("export");
    // Spark's recommendForAllUsers keeps bought products and ranks by ALS alone: compare
    // with exclude_seen off and no re-buy blend.
    scratch
        .run([
            "export",
            "--run",
            s(&run),
            "--to",
            s(&out),
            "--format",
            "spark,recs",
            "--exclude-seen",
            "false",
            "--rebuy",
            "0",
            "--top",
            "10",
        ])
        .ok();
    // pyspark 4.x (the main venv) and 3.5 (its own venv) both load the same export.
    for (py, line) in [(python(), "4."), (python_spark35(), "3.5.")] {
        let summary = run_script_with(
            &py,
            "check_spark.py",
            &[
                s(&out.join("spark")),
                s(&out.join("recs").join("recs.csv")),
                "10",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(summary.trim()).unwrap();
        assert!(v["spark"].as_str().unwrap().starts_with(line), "{summary}");
        assert!(v["same_lists"].as_f64().unwrap() >= 0.99, "{summary}");
        assert!(v["worst_score_gap"].as_f64().unwrap() <= 1e-4, "{summary}");
        assert!(v["customers"].as_u64().unwrap() > 1000, "{summary}");
    }
}

/// The lake layout is one table to pyarrow's dataset API and to Spark: every `recs` row
/// once, the run and the country as partition columns.
#[test]
fn partitioned_recs_read_back_in_pyarrow_and_spark() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "als");
    let out = crate::serve::export_to(&scratch, &run, "export", "recs,recs-partitioned");
    let files = files_under(&out.join("recs-partitioned"));
    assert!(files.contains(&"_common_metadata".to_owned()), "{files:?}");
    assert!(
        files.contains(&"run_id=run/country=United Kingdom/part-00000.parquet".to_owned()),
        "{files:?}"
    );
    let summary = run_script("check_lake.py", &[s(&out)]);
    let v: serde_json::Value = serde_json::from_str(summary.trim()).unwrap();
    assert!(v["rows"].as_u64().unwrap() > 10_000, "{summary}");
    assert_eq!(v["spark_rows"], v["rows"], "{summary}");
    assert_eq!(v["pyarrow_rows"], v["rows"], "{summary}");
    assert!(v["countries"].as_u64().unwrap() > 5, "{summary}");
    assert_eq!(
        v["partitions"],
        serde_json::json!(["run_id", "country"]),
        "{summary}"
    );
}

#[test]
fn batch_recs_are_the_engine_lists_of_latent_recommend() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "als");
    let rules = scratch.write(
        "rules.toml",
        "[overrides]\nexclude_items = [\"85123A\"]\nforce_users = [\"NEW-1\"]\n\
         [[overrides.include]]\nitems = [\"22423\"]\nslot = 2\n",
    );
    let out = scratch.path("export");
    scratch
        .run([
            "export",
            "--run",
            s(&run),
            "--to",
            s(&out),
            "--format",
            "recs",
            "--rules",
            s(&rules),
            "--top",
            "7",
        ])
        .ok();
    let csv = scratch.path("recommend.csv");
    scratch
        .run([
            "recommend",
            "--run",
            s(&run),
            "--users",
            "all",
            "--rules",
            s(&rules),
            "--top",
            "7",
            "--out",
            s(&csv),
        ])
        .ok();
    let exported = std::fs::read_to_string(out.join("recs/recs.csv")).unwrap();
    assert_eq!(exported, std::fs::read_to_string(&csv).unwrap());
    assert!(!exported.contains(",85123A,"));
    assert!(
        exported.contains("NEW-1,"),
        "force_users get a cold-start list"
    );
    assert!(
        exported
            .lines()
            .any(|l| l.contains(",22423,2,") && l.ends_with(",forced"))
    );
}

#[test]
fn an_existing_target_is_refused_and_overwrite_never_mixes() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "als");
    let out = scratch.path("export");
    let export = |extra: &[&str]| {
        let mut args = vec!["export", "--run", s(&run), "--to", s(&out)];
        args.extend_from_slice(extra);
        scratch.run(args)
    };
    export(&["--format", "bundle,implicit"]).ok();
    let before = std::fs::read(out.join("manifest.json")).unwrap();
    let err = export(&["--format", "recs"]).input_error().to_owned();
    assert!(
        err.contains("exists") && err.contains("--overwrite"),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before);

    std::fs::write(out.join("stray.txt"), "old").unwrap();
    export(&["--format", "recs", "--overwrite"]).ok();
    let files = files_under(&out);
    assert_eq!(
        files,
        ["manifest.json", "recs/recs.csv", "recs/recs.parquet"],
        "only the new export remains"
    );
    let leftovers: Vec<String> = std::fs::read_dir(scratch.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A failing export (spark from a popularity run) leaves the previous one whole.
    let pop = train_sample(&scratch, "pop", "popularity");
    let err = scratch
        .run([
            "export",
            "--run",
            s(&pop),
            "--to",
            s(&out),
            "--format",
            "spark",
            "--overwrite",
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("needs an ALS run"), "{err}");
    assert_eq!(files_under(&out).len(), 3);
}

#[test]
fn bad_formats_and_unwritable_targets_are_clear_errors() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "als");
    let err = scratch
        .run([
            "export",
            "--run",
            s(&run),
            "--to",
            s(&scratch.path("x")),
            "--format",
            "onnx",
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("unknown export format 'onnx'"), "{err}");
    let err = scratch
        .run([
            "export",
            "--run",
            s(&scratch.path("missing")),
            "--to",
            s(&scratch.path("x")),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("missing"), "{err}");
    // /proc refuses new folders even to root: a read-only place.
    let r = scratch.run([
        "export",
        "--run",
        s(&run),
        "--to",
        "/proc/latent-export-test/out",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot write export '/proc/latent-export-test"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"));
    assert!(!scratch.path("x").exists());
}
