//! `switchboard`: the user-facing command-line tool.

mod serve;

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
    /// Start the built-in sandbox and list every Trengo ticket and Re:amaze conversation through
    /// the generated adapters.
    Demo,
    /// Map a provider payload (a record, an array, or a whole response) to unified JSON.
    Map(MapArgs),
    /// Serve the unified API and the proxy API over HTTP (`--sandbox`: on the emulators, with
    /// nothing to configure).
    Serve(serve::ServeArgs),
    /// Create, list and revoke API keys; make encryption keys.
    #[command(subcommand)]
    Keys(serve::KeysCommand),
    /// Work on the stored accounts (re-encrypt them after a key rotation).
    #[command(subcommand)]
    Accounts(serve::AccountsCommand),
}

#[derive(clap::Args, Debug)]
struct MapArgs {
    /// The provider, such as `trengo`.
    provider: String,
    /// The provider's resource, such as `tickets`.
    resource: String,
    /// The method whose response the payload is (`list` by default, else `get`).
    #[arg(long)]
    method: Option<String>,
    /// Read the payload from this file instead of standard input.
    #[arg(long)]
    file: Option<std::path::PathBuf>,
    /// Run the mapping straight from the YAML in `--mappings` (no rebuild needed).
    #[arg(long)]
    interpret: bool,
    /// The mappings directory, for `--interpret`.
    #[arg(long, default_value = "mappings")]
    mappings: std::path::PathBuf,
    /// Also fill `remote_data` (the provider's record as it came).
    #[arg(long)]
    remote_data: bool,
    /// The account's time zone, for timestamps without an offset (default: the provider's).
    #[arg(long)]
    timezone: Option<String>,
    /// A parameter of the call the payload answers, for fields mapped from it (`param`), such
    /// as `query.ticket_id=20808`; repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
}

/// The call parameters given with `--param` as the JSON a call has (`{"query": {…}}`).
fn call_params(params: &[String]) -> Result<serde_json::Value, String> {
    let mut call = serde_json::Value::Object(serde_json::Map::new());
    for p in params {
        let (name, value) = p.split_once('=').ok_or_else(|| {
            format!("`--param {p}` needs the form NAME=VALUE, such as query.ticket_id=42")
        })?;
        let mut at = &mut call;
        let keys: Vec<&str> = name.split('.').collect();
        for (i, key) in keys.iter().enumerate() {
            let object = at.as_object_mut().ok_or_else(|| {
                format!("`--param {p}`: `{name}` goes inside a value given before")
            })?;
            at = if i + 1 == keys.len() {
                object.insert(
                    (*key).to_owned(),
                    serde_json::Value::String(value.to_owned()),
                );
                break;
            } else {
                object
                    .entry(*key)
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
            };
        }
    }
    Ok(call)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo().await,
        Command::Map(args) => map(&args),
        Command::Serve(args) => serve::serve(args).await,
        Command::Keys(command) => serve::keys(command).await,
        Command::Accounts(command) => serve::accounts(command).await,
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
    use switchboard_generated::providers::puzzel_case_management::{
        PuzzelCaseManagement, PuzzelCaseManagementCredentials,
    };
    use switchboard_generated::providers::puzzel_contact_centre::{
        PuzzelContactCentre, PuzzelContactCentreCredentials,
    };
    use switchboard_generated::providers::reamaze::{Reamaze, ReamazeCredentials};
    use switchboard_generated::providers::talkdesk::{Talkdesk, TalkdeskCredentials};
    use switchboard_sandbox::{puzzel_cc, puzzel_cm, reamaze, talkdesk, trengo};
    let sandbox = Sandbox::start()
        .await
        .map_err(|e| format!("cannot start the sandbox on 127.0.0.1: {e}"))?;
    println!("Sandbox listening on http://{}\n", sandbox.addr());
    let url = |provider: &str| {
        sandbox
            .base_url(provider)
            .ok_or_else(|| format!("the sandbox has no {provider} emulator"))
    };
    let options = |provider: &str| url(provider).map(|u| ClientOptions::default().with_base_url(u));
    let failed = |e: switchboard_runtime::Error| e.to_string();

    let trengo = Trengo::connect(
        &TrengoCredentials {
            token: Secret::new(trengo::TOKEN),
            timezone: None,
        },
        options(Trengo::NAME)?,
    )
    .map_err(failed)?;
    let tickets: Vec<Ticket> = trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .map_err(failed)?;
    show("Trengo", &url(Trengo::NAME)?, &tickets, "tickets");

    let reamaze = Reamaze::connect(
        &ReamazeCredentials {
            brand: reamaze::BRAND.into(),
            email: reamaze::EMAIL.into(),
            token: Secret::new(reamaze::TOKEN),
        },
        options(Reamaze::NAME)?,
    )
    .map_err(failed)?;
    let conversations: Vec<Ticket> = reamaze
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .map_err(failed)?;
    show(
        "Re:amaze",
        &url(Reamaze::NAME)?,
        &conversations,
        "conversations",
    );

    // Talkdesk's tokens come from the account's own host: the sandbox stands for it too.
    let token_url = sandbox
        .auth_url(Talkdesk::NAME)
        .ok_or("the sandbox has no Talkdesk token endpoint")?;
    let talkdesk = Talkdesk::connect(
        &TalkdeskCredentials {
            account: talkdesk::ACCOUNT.into(),
            region: None,
            client_id: talkdesk::CLIENT_ID.into(),
            client_secret: Secret::new(talkdesk::CLIENT_SECRET),
        },
        options(Talkdesk::NAME)?.with_auth_url(token_url),
    )
    .map_err(failed)?;
    let cases: Vec<Ticket> = talkdesk
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .map_err(failed)?;
    show("Talkdesk Cases", &url(Talkdesk::NAME)?, &cases, "cases");

    // Puzzel Case Management has no public API reference: this is its modeled API.
    let pcm_token_url = sandbox
        .auth_url(PuzzelCaseManagement::NAME)
        .ok_or("the sandbox has no Puzzel ID token endpoint")?;
    let pcm = PuzzelCaseManagement::connect(
        &PuzzelCaseManagementCredentials {
            tenant: puzzel_cm::TENANT.into(),
            platform_area: None,
            client_id: puzzel_cm::CLIENT_ID.into(),
            client_secret: Secret::new(puzzel_cm::CLIENT_SECRET),
        },
        options(PuzzelCaseManagement::NAME)?.with_auth_url(pcm_token_url),
    )
    .map_err(failed)?;
    let pcm_tickets: Vec<Ticket> = pcm
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .map_err(failed)?;
    show(
        "Puzzel Case Management (modeled API, inferred)",
        &url(PuzzelCaseManagement::NAME)?,
        &pcm_tickets,
        "tickets",
    );

    println!("Every provider's records come out as the same unified Ticketing model.\n");

    // Puzzel Contact Centre has no unified model: its operations are native tools, called here
    // by their MCP names as an agent would.
    let pcc = PuzzelContactCentre::connect(
        &PuzzelContactCentreCredentials {
            customer_key: puzzel_cc::CUSTOMER_KEY.into(),
            user_id: puzzel_cc::USER_ID.to_string(),
            region: None,
            platform_area: None,
            client_id: Some(puzzel_cc::CLIENT_ID.into()),
            client_secret: Some(Secret::new(puzzel_cc::CLIENT_SECRET)),
            user_name: None,
            password: None,
        },
        options(PuzzelContactCentre::NAME)?.with_auth_url(
            sandbox
                .auth_url(PuzzelContactCentre::NAME)
                .ok_or("the sandbox has no Puzzel ID token endpoint")?,
        ),
    )
    .map_err(failed)?;
    println!(
        "Puzzel Contact Centre (emulated) at {}: native tools, no unified model\n",
        url(PuzzelContactCentre::NAME)?
    );
    let tool = |name: &'static str, args: serde_json::Value| {
        let pcc = &pcc;
        async move {
            match pcc.call_tool(name, &args).await.map_err(failed)? {
                switchboard_runtime::Output::Record(v) => Ok::<_, String>(v),
                _ => Err(format!("{name} answered no JSON")),
            }
        }
    };
    let agents = tool(
        "list_all_puzzel_state_information",
        serde_json::json!({"ticker_period_window": "Today"}),
    )
    .await?;
    println!("list_all_puzzel_state_information:");
    for a in agents.as_array().into_iter().flatten() {
        println!(
            "  {:<12} {:<10} {}",
            text(&a["firstName"]),
            text(&a["contactCentreStatus"]),
            text(&a["userStatus"])
        );
    }
    let queues = tool(
        "list_all_puzzel_visual_queue_state_info",
        serde_json::json!({"result": "All"}),
    )
    .await?;
    println!("list_all_puzzel_visual_queue_state_info:");
    for q in queues.as_array().into_iter().flatten() {
        println!(
            "  {:<12} {} waiting, {} agents ready",
            text(&q["description"]),
            q["queueSize"],
            q["agentsReady"]
        );
    }
    let tools = switchboard_generated::registry::CAPABILITIES
        .iter()
        .filter(|c| c.provider == PuzzelContactCentre::NAME)
        .count();
    println!(
        "\n{tools} tools from Puzzel Contact Centre (generated/mcp/puzzel_contact_centre.json)."
    );
    sandbox.stop().await;
    Ok(())
}

/// A JSON value as plain text (strings without their quotes).
fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prints a provider's tickets (the first 20 of a long list) and how many there were.
fn show(provider: &str, url: &str, tickets: &[Ticket], noun: &str) {
    const SHOWN: usize = 20;
    println!("{provider} (emulated) at {url}\n");
    print!("{}", table(&tickets[..tickets.len().min(SHOWN)]));
    let more = tickets.len().saturating_sub(SHOWN);
    if more > 0 {
        println!("… and {more} more");
    }
    println!("\n{} {noun} from {provider}.\n", tickets.len());
}

/// `switchboard map`: the mapping author's way to try a mapping on a real sample.
fn map(args: &MapArgs) -> Result<(), String> {
    use switchboard_generated::registry;

    // The mapping first, so that a wrong name is reported before any input is read.
    let mapper = if args.interpret {
        Mapper::interpreted(args)?
    } else {
        Mapper::compiled(args)?
    };
    let call = call_params(&args.params)?;
    let text = read_payload(args.file.as_deref())?;
    let not_json = |e: &dyn std::fmt::Display| {
        format!(
            "the payload is not JSON: {e} (give a record, an array of records or a whole response)"
        )
    };
    let records_path = mapper.records_path();
    let (mapped, many) = match &mapper {
        Mapper::Interpreted(interpreter, context) => {
            let payload: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| not_json(&e))?;
            let (records, many) = records_of(&payload, &records_path, &args.provider);
            let mapped = records
                .iter()
                .map(|r| {
                    interpreter
                        .map(r, &context.for_call(&call), args.remote_data)
                        .map_err(|e| format!("cannot map `{}`: {}", e.field, e.reason))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (mapped, many)
        }
        // Parsed as the adapters parse responses: numbers keep their exact text (an id of 30
        // digits mapped to a string stays those digits).
        Mapper::Compiled { method, .. } => {
            let arena = switchboard_runtime::Bump::new();
            let payload = switchboard_runtime::shape::parse(
                text.as_bytes(),
                &switchboard_runtime::Shape::All,
                &arena,
            )
            .map_err(|e| not_json(&e))?;
            let (records, many) = records_of(&payload, &records_path, &args.provider);
            let mapped = records
                .iter()
                .map(|r| {
                    registry::map_record(
                        &args.provider,
                        &args.resource,
                        method,
                        *r,
                        args.timezone.as_deref(),
                        args.remote_data,
                        &call,
                    )
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            (mapped, many)
        }
    };
    let output = match (mapped.len(), many) {
        (1, false) => mapped.into_iter().next().unwrap_or_default(),
        _ => serde_json::Value::Array(mapped),
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&output).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// The records of a payload, and whether it holds a list: a whole response holds its records
/// at the method's path (which may go through arrays: `messages[].attachments`); an array is
/// records; anything else is one record.
fn records_of<'a, J: switchboard_runtime::Json>(
    payload: &'a J,
    records_path: &[&str],
    provider: &str,
) -> (Vec<&'a J>, bool) {
    use switchboard_runtime::json::View;
    let listed = (!records_path.is_empty())
        .then(|| switchboard_runtime::take_records(payload, records_path, provider).ok())
        .flatten();
    let at_path = (!records_path.is_empty())
        .then(|| switchboard_runtime::value::record(payload, records_path))
        .flatten();
    match (listed, at_path) {
        (Some(records), _) => (records, true),
        (None, Some(record)) if matches!(record.view(), View::Object(_)) => (vec![record], false),
        _ => match payload.as_array() {
            Some(items) => (items.iter().collect(), true),
            None => (vec![payload], false),
        },
    }
}

/// How `map` runs a mapping: the compiled adapter, or the interpreter over the YAML as it is.
enum Mapper {
    Compiled {
        method: String,
        records: &'static [&'static str],
    },
    Interpreted(
        switchboard_runtime::interpret::Interpreter,
        switchboard_runtime::convert::MapContext,
    ),
}

impl Mapper {
    fn compiled(args: &MapArgs) -> Result<Self, String> {
        use switchboard_generated::registry::CAPABILITIES;
        let capabilities: Vec<_> = CAPABILITIES
            .iter()
            .filter(|c| c.provider == args.provider && c.provider_resource == args.resource)
            // Native methods answer the provider's JSON: there is no mapping to try.
            .filter(|c| !c.model.is_empty() && c.returns != "nothing")
            .collect();
        if capabilities.is_empty() {
            if CAPABILITIES
                .iter()
                .any(|c| c.provider == args.provider && c.provider_resource == args.resource)
            {
                return Err(native_resource(args));
            }
            let known: std::collections::BTreeSet<String> = CAPABILITIES
                .iter()
                .filter(|c| !c.model.is_empty())
                .map(|c| format!("{} {}", c.provider, c.provider_resource))
                .collect();
            return Err(format!(
                "no compiled mapping for `{} {}`; known: {} (a mapping not built yet runs with `--interpret`)",
                args.provider,
                args.resource,
                known.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        let method = args
            .method
            .clone()
            .unwrap_or_else(|| default_method(capabilities.iter().any(|c| c.method == "list")));
        let capability = capabilities
            .iter()
            .find(|c| c.method == method)
            .ok_or_else(|| {
                let methods: Vec<&str> = capabilities.iter().map(|c| c.method).collect();
                format!(
                    "`{} {}` has no `{method}` method; it has: {}",
                    args.provider,
                    args.resource,
                    methods.join(", ")
                )
            })?;
        Ok(Self::Compiled {
            method,
            records: capability.records,
        })
    }

    fn interpreted(args: &MapArgs) -> Result<Self, String> {
        let ir = switchboard_compiler::Settings::new(&args.mappings)
            .check()
            .map_err(|e| e.to_string())?
            .ir;
        let native = ir
            .providers
            .iter()
            .filter(|p| p.name == args.provider)
            .flat_map(|p| &p.resources)
            .any(|r| r.name == args.resource && r.native.is_some());
        if native {
            return Err(native_resource(args));
        }
        let has = |method: &str| {
            switchboard_compiler::interpret::spec(&ir, &args.provider, &args.resource, method)
        };
        let method = args
            .method
            .clone()
            .unwrap_or_else(|| default_method(has("list").is_some()));
        let spec = has(&method).ok_or_else(|| {
            format!(
                "{} has no `{method}` on `{}` in {} (check the provider, resource and `--method`)",
                args.provider,
                args.resource,
                args.mappings.display()
            )
        })?;
        let spec = serde_json::from_value(spec)
            .map_err(|e| format!("internal: the mapping description does not read: {e}"))?;
        let interpreter = switchboard_runtime::interpret::Interpreter::new(spec)?;
        let context = interpreter
            .context(args.timezone.as_deref())
            .map_err(|e| e.to_string())?;
        Ok(Self::Interpreted(interpreter, context))
    }

    fn records_path(&self) -> Vec<&str> {
        match self {
            Self::Compiled { records, .. } => records.to_vec(),
            Self::Interpreted(interpreter, _) => interpreter
                .spec()
                .records
                .iter()
                .map(String::as_str)
                .collect(),
        }
    }
}

/// The answer for `map` on a native resource (one without a unified model).
fn native_resource(args: &MapArgs) -> String {
    format!(
        "`{} {}` is a native resource: its methods pass the provider's answer through unmapped (there is no unified model), so there is no mapping to try",
        args.provider, args.resource
    )
}

/// `list` when the resource has it, else `get`.
fn default_method(has_list: bool) -> String {
    if has_list { "list" } else { "get" }.to_owned()
}

fn read_payload(file: Option<&std::path::Path>) -> Result<String, String> {
    use std::io::Read;
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            text
        }
    };
    Ok(text)
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
