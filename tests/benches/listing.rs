//! Listing 10 000 and 100 000 Trengo tickets from the sandbox, page by page over loopback HTTP,
//! two ways in one run:
//! - runtime: the generated adapter's `list_tickets` stream (auth, pagination, guards, partial
//!   parsing, compiled mapping into unified `Ticket`s);
//! - hand-written: a minimal reqwest + serde loop over the same pages (typed structs of the
//!   fields the mapping reads, no mapping, no guards).
//!
//! The sandbox runs in a child process (this binary, started again with
//! `SWITCHBOARD_BENCH_SANDBOX=<tickets>`). Memory is measured in more children, one listing
//! each (`SWITCHBOARD_BENCH_MEASURE=<way> <base URL>`): the peak resident set (`VmHWM`) before
//! and after the listing, so it is the client's memory only.
//!
//! `cargo bench -p switchboard-tests --bench listing`

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use futures::TryStreamExt;
use serde::Deserialize;
use switchboard_generated::providers::trengo::{Trengo, TrengoCredentials};
use switchboard_generated::unified::ticketing::TicketListQuery;
use switchboard_runtime::{ClientOptions, Secret};
use switchboard_sandbox::trengo::{self, Seed};

const SIZES: [usize; 2] = [10_000, 100_000];
const ENV: &str = "SWITCHBOARD_BENCH_SANDBOX";
const MEASURE: &str = "SWITCHBOARD_BENCH_MEASURE";

/// A sandbox in a child process; it stops when its standard input closes.
struct Server {
    child: Child,
    base_url: String,
}

impl Server {
    fn start(tickets: usize) -> Server {
        let mut child = Command::new(std::env::current_exe().expect("the bench binary"))
            .env(ENV, tickets.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the sandbox process starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the sandbox prints its address");
        Server {
            child,
            base_url: format!("http://{}/trengo/api/v2", line.trim()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn serve(tickets: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let options = switchboard_sandbox::Options {
            trengo: trengo::State::unlimited(Seed::with_tickets(tickets), trengo::TOKEN),
            ..Default::default()
        };
        let sandbox = switchboard_sandbox::Sandbox::start_with(([127, 0, 0, 1], 0).into(), options)
            .await
            .expect("the sandbox binds loopback");
        println!("{}", sandbox.addr());
        // Serve until the parent closes our standard input.
        tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new()))
            .await
            .ok();
        sandbox.stop().await;
    });
}

/// The fields of a Trengo list item the ticket mapping reads.
#[derive(Deserialize)]
#[allow(dead_code)] // Read to be parsed, as a hand-written client would.
struct Item {
    id: i64,
    subject: Option<String>,
    status: String,
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    user_id: Option<i64>,
    team_id: Option<i64>,
    contact_id: i64,
    contact: Option<Named>,
    channel: Option<Channel>,
    labels: Vec<Named>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Channel {
    id: i64,
    title: String,
}

#[derive(Deserialize)]
struct PageBody {
    data: Vec<Item>,
    links: Links,
}

#[derive(Deserialize)]
struct Links {
    next: Option<String>,
}

async fn hand_written(http: &reqwest::Client, base_url: &str) -> usize {
    let mut count = 0;
    for page in 1.. {
        let body: PageBody = http
            .get(format!("{base_url}/tickets"))
            .bearer_auth(trengo::TOKEN)
            .query(&[("page", page)])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the page comes")
            .json()
            .await
            .expect("the page parses");
        count += body.data.len();
        if body.links.next.is_none() || body.data.is_empty() {
            break;
        }
    }
    count
}

async fn through_runtime(trengo: &Trengo) -> usize {
    trengo
        .list_tickets(&TicketListQuery::default())
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
        .expect("every ticket lists")
}

fn connect(base_url: &str) -> Trengo {
    Trengo::connect(
        &TrengoCredentials {
            token: Secret::new(trengo::TOKEN),
            timezone: None,
        },
        ClientOptions::default().with_base_url(base_url),
    )
    .expect("connects")
}

/// The peak resident set of this process so far, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// One listing in this (child) process: prints the records, the peak RSS before and after.
fn measure(spec: &str) {
    let (way, base_url) = spec.split_once(' ').expect("`<way> <base URL>`");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let trengo = connect(base_url);
    let http = reqwest::Client::new();
    let before = peak_rss_kib();
    let n = match way {
        "runtime" => runtime.block_on(through_runtime(&trengo)),
        _ => runtime.block_on(hand_written(&http, base_url)),
    };
    println!("{n} {before} {}", peak_rss_kib());
}

/// Peak RSS (before, after) of one listing `way` in a fresh process.
fn measured(way: &str, base_url: &str, size: usize) -> (u64, u64) {
    let out = Command::new(std::env::current_exe().expect("the bench binary"))
        .env(MEASURE, format!("{way} {base_url}"))
        .output()
        .expect("the measuring process runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<u64> = text
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(v.first().copied(), Some(size as u64), "{way}: {text}");
    (v[1], v[2])
}

fn main() {
    if let Ok(n) = std::env::var(ENV) {
        serve(n.parse().expect("a ticket count"));
        return;
    }
    if let Ok(spec) = std::env::var(MEASURE) {
        measure(&spec);
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    let mut memory = Vec::new();
    for size in SIZES {
        let server = Server::start(size);
        let trengo = connect(&server.base_url);
        let http = reqwest::Client::new();
        memory.push((
            size,
            measured("runtime", &server.base_url, size),
            measured("hand-written", &server.base_url, size),
        ));

        let mut group = criterion.benchmark_group("list Trengo tickets from the sandbox");
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("runtime", size), &size, |b, _| {
            b.iter(|| runtime.block_on(through_runtime(&trengo)))
        });
        group.bench_with_input(BenchmarkId::new("hand-written", size), &size, |b, _| {
            b.iter(|| runtime.block_on(hand_written(&http, &server.base_url)))
        });
        group.finish();
    }
    criterion.final_summary();
    println!("\npeak resident set of one listing in a fresh process, KiB (before -> after):");
    for (size, (rb, ra), (hb, ha)) in memory {
        println!("  {size:>7} records: runtime {rb} -> {ra}, hand-written {hb} -> {ha}");
    }
}
