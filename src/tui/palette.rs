//! The `:` command palette: everything the keys do and more, by name, as in VisiData and
//! k9s. Each command is one line; a wrong one answers with the nearest command.

use std::path::{Path, PathBuf};

use super::app::{AppState, Command, Screen};
use crate::recommend::{ColdStartPolicy, IncludeRule, PopularCut};

/// Commands with their one-line help, in the order hints show them.
pub const COMMANDS: [(&str, &str); 19] = [
    ("open PATH", "load another data file (CSV or Parquet)"),
    (
        "retention YYYYMMDD DAYS",
        "set the retention window and reload",
    ),
    ("reload", "load the data again"),
    ("customer ID", "show a customer in Inspect"),
    ("top N", "recommendations per customer"),
    ("exclude ID...", "never show these products"),
    ("include ID...", "force these products in"),
    ("popular N%|N|off", "hide the most popular products"),
    (
        "cold-start POLICY",
        "popularity | segment-popularity | fold-in",
    ),
    ("rules reset", "back to the run's rules"),
    (
        "filter TEXT",
        "filter this screen's table (else the run table)",
    ),
    ("sort time|precision|ndcg|fit", "order the run table"),
    ("copy [row]", "copy the table (or the row) to the clipboard"),
    ("save FILE", "write the table as CSV"),
    ("theme dark|light|mono", "colours"),
    ("data|tune|train|runs|inspect", "go to a screen"),
    (
        "recent",
        "workspaces opened lately (latent tui --workspace DIR)",
    ),
    ("help", "the keys of this screen"),
    ("quit", "leave latent"),
];

/// Runs one palette line against `app`.
pub fn run(app: &mut AppState, line: &str) -> Result<Vec<Command>, String> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Ok(Vec::new());
    };
    let rest: Vec<&str> = words.collect();
    let arg = rest.join(" ");
    let need = |what: &str| -> Result<(), String> {
        if rest.is_empty() {
            Err(format!("{name} needs {what}"))
        } else {
            Ok(())
        }
    };
    match name {
        "q" | "quit" => app.should_quit = true,
        "help" => app.show_help = true,
        "data" | "tune" | "train" | "runs" | "inspect" => {
            app.screen = match name {
                "data" => Screen::Data,
                "tune" => Screen::Tune,
                "train" => Screen::Train,
                "runs" => Screen::Runs,
                _ => Screen::Inspect,
            };
        }
        "reload" => return Ok(app.reload_data()),
        "recent" => {
            let dirs = crate::workspace::recent::list(&crate::paths::Paths::discover().config_dir);
            app.status = if dirs.is_empty() {
                "no recent workspaces".to_owned()
            } else {
                format!(
                    "recent: {}",
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join("  ·  ")
                )
            };
        }
        "open" => {
            need("a file path")?;
            let path = PathBuf::from(&arg);
            if !path.is_file() {
                return Err(format!("'{arg}' is not a file"));
            }
            app.workspace.config.data.path = Some(path);
            app.screen = Screen::Data;
            return Ok(app.reload_data());
        }
        "retention" => {
            let (Some(date), Some(days)) = (rest.first(), rest.get(1)) else {
                return Err("retention needs YYYYMMDD DAYS, e.g. retention 20111209 90".into());
            };
            if crate::data::timestamps::parse_day(date).is_none() {
                return Err(format!("'{date}' is not a YYYYMMDD date"));
            }
            let days: u32 = days
                .parse()
                .ok()
                .filter(|&d| d > 0)
                .ok_or_else(|| format!("'{days}' is not a number of days"))?;
            app.workspace.config.interactions.retention_date = Some((*date).to_owned());
            app.workspace.config.interactions.retention_days = Some(days);
            app.screen = Screen::Data;
            return Ok(app.reload_data());
        }
        "customer" => {
            need("a customer id")?;
            let Some(run) = app.inspect.run.clone() else {
                return Err("no run open: train one or open one from Runs".into());
            };
            let u = run
                .users
                .get(crate::data::values::normalise_id(&arg).unwrap_or(&arg))
                .ok_or_else(|| format!("customer '{arg}' is not in the run"))?;
            app.inspect.query = arg;
            app.inspect.update_matches();
            app.inspect.show(Some(u));
            app.screen = Screen::Inspect;
        }
        "top" => {
            let n: usize = arg
                .parse()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| format!("top needs 1 to 100, not '{arg}'"))?;
            app.inspect.top = n;
            app.inspect.show(app.inspect.customer);
        }
        "exclude" => {
            need("product ids")?;
            app.inspect
                .edit_rules(|r| r.exclude_items.extend(rest.iter().map(|s| (*s).to_owned())));
        }
        "include" => {
            need("product ids")?;
            app.inspect.edit_rules(|r| {
                r.include.push(IncludeRule {
                    items: rest.iter().map(|s| (*s).to_owned()).collect(),
                    ..IncludeRule::default()
                });
            });
        }
        "popular" => {
            need("N%, N or off")?;
            let cut = if arg == "off" {
                None
            } else {
                Some(PopularCut::parse(&arg).map_err(|e| e.to_string())?)
            };
            app.inspect.edit_rules(|r| r.exclude_popular = cut);
        }
        "cold-start" => {
            let policy = ColdStartPolicy::ALL
                .into_iter()
                .find(|p| p.name() == arg)
                .ok_or_else(|| {
                    format!(
                        "cold-start needs popularity, segment-popularity or fold-in, not '{arg}'"
                    )
                })?;
            app.inspect.edit_rules(|r| r.cold_start = policy);
        }
        "rules" if arg == "reset" => {
            let base = app
                .inspect
                .run
                .as_ref()
                .map(|r| r.config.overrides.clone())
                .unwrap_or_default();
            app.inspect.edit_rules(|r| *r = base);
        }
        "filter" => app.set_filter(arg),
        "sort" => {
            use super::runs::RunSort;
            app.runs.sort = match arg.as_str() {
                "time" => RunSort::Time,
                "precision" => RunSort::Precision,
                "ndcg" => RunSort::Ndcg,
                "fit" => RunSort::Fit,
                other => {
                    return Err(format!(
                        "sort by time, precision, ndcg or fit, not '{other}'"
                    ));
                }
            };
            app.runs.clamp();
            app.screen = Screen::Runs;
        }
        "copy" => app.copy(arg == "row"),
        "save" => {
            need("a file name")?;
            let Some((_, csv)) = super::clipboard::table(app) else {
                return Err("this screen has no table to save".into());
            };
            let path = PathBuf::from(&arg);
            crate::data::write::write_atomically(&path, |w| {
                std::io::Write::write_all(w, csv.as_bytes()).map_err(Into::into)
            })
            .map_err(|e| e.to_string())?;
            app.status = format!("wrote {} lines to {}", csv.lines().count(), path.display());
        }
        "theme" => {
            let theme = match arg.as_str() {
                "dark" => super::theme::ThemeName::Dark,
                "light" => super::theme::ThemeName::Light,
                "mono" => super::theme::ThemeName::Mono,
                other => return Err(format!("theme dark, light or mono, not '{other}'")),
            };
            super::theme::set_theme(theme);
        }
        // Every key's action by its name (`:hide_popular`), as the keymap runs it.
        other
            if rest.is_empty()
                && let Some(action) = super::action::Action::parse(other) =>
        {
            return Ok(app.act(action));
        }
        other => {
            let names: Vec<&str> = COMMANDS
                .iter()
                .filter_map(|(c, _)| c.split(['|', ' ']).next())
                .chain(["tune", "train", "runs", "inspect", "quit"])
                .chain(super::action::BINDINGS.iter().map(|b| b.1))
                .collect();
            let hint = crate::models::hyper::nearest(other, &names)
                .map_or_else(String::new, |n| format!(": did you mean '{n}'?"));
            return Err(format!("unknown command '{other}'{hint}"));
        }
    }
    Ok(Vec::new())
}

/// Hints for what is typed: matching commands, or files for `open`.
pub fn hints(text: &str) -> Vec<String> {
    if let Some(partial) = text.strip_prefix("open ") {
        return files_like(partial);
    }
    let first = text.split_whitespace().next().unwrap_or("");
    COMMANDS
        .iter()
        .filter(|(c, _)| {
            first.is_empty()
                || c.starts_with(first)
                || first.starts_with(c.split(' ').next().unwrap_or(""))
        })
        .map(|(c, h)| format!("{c} — {h}"))
        .collect()
}

/// Data files whose path starts with `partial`: the palette's file picker.
fn files_like(partial: &str) -> Vec<String> {
    let (dir, prefix) = match partial.rfind('/') {
        Some(at) => (&partial[..=at], &partial[at + 1..]),
        None => ("", partial),
    };
    let Ok(entries) = std::fs::read_dir(if dir.is_empty() {
        Path::new(".")
    } else {
        Path::new(dir)
    }) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_dir = e.path().is_dir();
            let data = Path::new(&name)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| {
                    e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("parquet")
                });
            (name.starts_with(prefix) && !name.starts_with('.') && (is_dir || data))
                .then(|| format!("{dir}{name}{}", if is_dir { "/" } else { "" }))
        })
        .collect();
    out.sort();
    out.truncate(8);
    out
}
