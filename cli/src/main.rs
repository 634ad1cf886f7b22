//! `switchboard`: the user-facing command-line tool.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use futures::TryStreamExt;
use switchboard_generated::providers::trengo::{Trengo, TrengoCredentials};
use switchboard_generated::unified::ticketing::{Ticket, TicketListQuery};
use switchboard_runtime::{ClientOptions, Secret};
use switchboard_sandbox::Sandbox;

#[derive(Parser, Debug)]
#[command(name = "switchboard", version, about = "One API over many helpdesks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the built-in sandbox and list every ticket through the generated adapters.
    Demo,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn demo() -> Result<(), String> {
    let sandbox = Sandbox::start()
        .await
        .map_err(|e| format!("cannot start the sandbox on 127.0.0.1: {e}"))?;
    let base_url = sandbox
        .base_url(Trengo::NAME)
        .ok_or("the sandbox has no Trengo emulator")?;
    println!("Sandbox listening on http://{}", sandbox.addr());
    println!("Trengo (emulated) at {base_url}\n");

    let credentials = TrengoCredentials {
        token: Secret::new(switchboard_sandbox::trengo::TOKEN),
        timezone: None,
    };
    let trengo = Trengo::connect(
        &credentials,
        ClientOptions::default().with_base_url(base_url),
    )
    .map_err(|e| e.to_string())?;
    let tickets: Vec<Ticket> = trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .map_err(|e| e.to_string())?;
    print!("{}", table(&tickets));
    println!(
        "\n{} tickets from Trengo, mapped to the unified Ticketing model.",
        tickets.len()
    );
    sandbox.stop().await;
    Ok(())
}

/// A plain-text table, columns sized to their content (long cells are shortened).
fn table(tickets: &[Ticket]) -> String {
    const HEAD: [&str; 7] = [
        "ID",
        "STATUS",
        "NAME",
        "CONTACT",
        "ASSIGNEE",
        "TAGS",
        "UPDATED (UTC)",
    ];
    const MAX: usize = 28;
    let rows: Vec<[String; 7]> = tickets
        .iter()
        .map(|t| {
            [
                t.id.clone(),
                t.status.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                t.name.clone().unwrap_or_else(|| "—".to_owned()),
                t.contact
                    .as_ref()
                    .and_then(|c| c.name.clone())
                    .unwrap_or_default(),
                t.assignees
                    .iter()
                    .map(|a| a.name.clone().unwrap_or_else(|| format!("#{}", a.id)))
                    .collect::<Vec<_>>()
                    .join(", "),
                t.tags.join(", "),
                t.updated_at.map(|u| u.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let shorten = |s: &str| -> String {
        if s.chars().count() > MAX {
            let cut: String = s.chars().take(MAX - 1).collect();
            format!("{cut}…")
        } else {
            s.to_owned()
        }
    };
    let mut widths = HEAD.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(shorten(cell).chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| {
                let c = shorten(c);
                let pad = w - c.chars().count();
                format!("{c}{}", " ".repeat(pad))
            })
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&HEAD.map(String::from));
    out.push_str(&line(&widths.map(|w| "─".repeat(w))));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}
