//! `coe actions`: the action-item tracker from the terminal, for reminders and scripts.

use super::build::parse_date;
use coe::content::front_matter::ItemStatus;
use coe::digest::{ActionRow, action_row};
use coe::library::actions;
use coe::render::learning::ActionIndex;
use coe::site::open::load_library;
use coe::slug::slugify;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Status {
    Open,
    InProgress,
    Done,
    WontDo,
    /// open or in-progress
    Pending,
}

#[derive(clap::Args)]
pub struct Args {
    /// Only items owned by this person or team name
    #[arg(long)]
    owner: Option<String>,
    /// Only items of COEs owned by this team
    #[arg(long)]
    team: Option<String>,
    /// Only items with this status
    #[arg(long, value_enum)]
    status: Option<Status>,
    /// Only open or in-progress items past their due date
    #[arg(long)]
    overdue: bool,
    /// The date to treat as today
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<jiff::civil::Date>,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = super::OutFormat::Text)]
    format: super::OutFormat,
    /// Print one JSON object (--format json)
    #[arg(long)]
    json: bool,
    /// Site root
    #[arg(long, short = 'r', default_value = ".")]
    root: PathBuf,
}

#[derive(Serialize)]
struct Output {
    today: String,
    total: usize,
    items: Vec<ActionRow>,
}

pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_root(&args.root) {
        return code;
    }
    let (lib, diags) = load_library(&args.root, false, args.today);
    for d in diags.iter().filter(|d| d.is_error()) {
        coe::errln!("{d} (left out)");
    }
    let owner = args.owner.as_deref().map(slugify);
    let team = args.team.as_deref().map(slugify);
    let index = ActionIndex::new(&lib);
    let items: Vec<ActionRow> = index
        .items
        .iter()
        .filter(|r| {
            let a = r.get(&lib);
            let status_ok = match args.status {
                None => true,
                Some(Status::Pending) => a.status.is_pending(),
                Some(Status::Open) => a.status == ItemStatus::Open,
                Some(Status::InProgress) => a.status == ItemStatus::InProgress,
                Some(Status::Done) => a.status == ItemStatus::Done,
                Some(Status::WontDo) => a.status == ItemStatus::WontDo,
            };
            status_ok
                && (!args.overdue || actions::days_overdue(a, lib.today).is_some())
                && owner
                    .as_ref()
                    .is_none_or(|o| a.owner.as_deref().map(slugify).as_ref() == Some(o))
                && team.as_ref().is_none_or(|t| {
                    lib.coes[r.coe].teams.first().map(|x| slugify(x)).as_ref() == Some(t)
                })
        })
        .map(|&r| action_row(&lib, r, actions::days_overdue(r.get(&lib), lib.today)))
        .collect();
    if args.json || args.format == super::OutFormat::Json {
        let out = Output {
            today: lib.today.to_string(),
            total: items.len(),
            items,
        };
        match serde_json::to_string_pretty(&out) {
            Ok(s) => coe::outln!("{s}"),
            Err(e) => {
                coe::errln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    for a in &items {
        let late = a
            .days_overdue
            .map(|d| format!("  {d} day{} overdue", if d == 1 { "" } else { "s" }))
            .unwrap_or_default();
        coe::outln!(
            "{:<12} {:<11} {:<11} {:<16} {}{}\n             {}",
            a.coe,
            a.status,
            a.due.as_deref().unwrap_or("no due date"),
            a.owner.as_deref().unwrap_or("no owner"),
            a.title,
            late,
            a.coe_title
        );
    }
    let overdue = items.iter().filter(|a| a.days_overdue.is_some()).count();
    coe::errln!(
        "{} action item{}, {overdue} overdue (today is {})",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        lib.today
    );
    ExitCode::SUCCESS
}
