use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

#[derive(Parser)]
#[command(
    name = "coe",
    version,
    about = "Turn a folder of Markdown COEs into a searchable, cross-linked learning library"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a library: coe.toml, an example COE, .gitignore (and a deploy file with --deploy)
    Init(cmd::init::Args),
    /// Build the site from content/ into public/
    Build(cmd::build::Args),
    /// Search the library: words, "phrases", -exclusions, field:value
    Search(cmd::search::Args),
    /// COEs similar to a COE (by id) or to a Markdown file (a draft)
    Similar(cmd::similar::Args),
    /// A week's learning digest (Markdown, HTML e-mail or JSON)
    Digest(cmd::digest::Args),
    /// Action items across the library: owners, due dates, overdue
    Actions(cmd::actions::Args),
    /// Lint COEs: structure, times, action items, five whys, blameless language, impact
    Check(cmd::check::Args),
    /// Start a new COE from the template: content/<yyyy>/<id>.md with the next free id
    New(cmd::new::Args),
    /// Serve the site locally, rebuilt and reloaded when a file changes
    Serve(cmd::serve::Args),
    /// Print the JSON Schema of the front matter (for editors: completion and checks)
    Schema(cmd::schema::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(cmd::search::reorder_args(std::env::args_os().collect()));
    match cli.command {
        Command::Init(args) => cmd::init::run(args),
        Command::Build(args) => cmd::build::run(args),
        Command::Search(args) => cmd::search::run(args),
        Command::Similar(args) => cmd::similar::run(args),
        Command::Digest(args) => cmd::digest::run(args),
        Command::Actions(args) => cmd::actions::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::New(args) => cmd::new::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Schema(args) => cmd::schema::run(args),
    }
}

// glibc's allocator spent a fifth of a 10,000-COE build in _int_malloc/consolidate
// (many small template values freed across two threads); mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
