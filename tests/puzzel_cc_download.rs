//! Downloading a 100 MB recording through the generated adapter keeps memory flat: the bytes
//! pass through one chunk at a time. Memory is measured, not timed: the process's peak resident
//! set (`VmHWM`, reset before each part), the sandbox included. Linux only, like the CI.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use switchboard_generated::providers::puzzel_contact_centre::ArchiveRecordingFileDownloadQuery;
use switchboard_runtime::Output;
use switchboard_sandbox::{Options, Sandbox, puzzel_cc};
use switchboard_tests::memory::{peak_rss, reset_peak};
use switchboard_tests::puzzel_contact_centre;

const SIZE: usize = 100 * 1024 * 1024;
/// The most the download may add to the resident set.
const FLAT: usize = 8 * 1024 * 1024;

/// How far the peak resident set rises above its level at the start while `f` runs.
async fn peak_above_start<F: Future<Output = usize>>(f: F) -> (usize, usize) {
    reset_peak();
    let start = peak_rss();
    let out = f.await;
    (peak_rss().saturating_sub(start), out)
}

#[tokio::test]
async fn a_100_mb_recording_streams_with_flat_memory() {
    let sandbox = Sandbox::start_with(
        "127.0.0.1:0".parse().unwrap(),
        Options {
            puzzel_cc: puzzel_cc::State::default().with_large_recording(SIZE as u64),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let client = puzzel_contact_centre(&sandbox);
    // The token and the connection first, so that only the download is measured.
    client.list_queues().await.unwrap();
    let call = puzzel_cc::LARGE_CALL_ID;
    let query = ArchiveRecordingFileDownloadQuery::new(call.to_string(), "0".into());

    let (streamed, received) = peak_above_start(async {
        let mut download = client
            .archive_recording_file_download(&query)
            .await
            .unwrap();
        assert_eq!(download.size, Some(SIZE as u64));
        assert_eq!(
            download.file_name.as_deref(),
            Some(puzzel_cc::recording_name(call, 0).as_str())
        );
        let mut offset = 0;
        while let Some(chunk) = download.chunk().await.unwrap() {
            let expected = puzzel_cc::recording_chunk(call, 0, SIZE, offset, chunk.len());
            assert!(chunk[..] == expected[..], "bytes {offset}.. differ");
            offset += chunk.len();
        }
        offset
    })
    .await;
    assert_eq!(received, SIZE);
    assert!(
        streamed < FLAT,
        "streaming 100 MB raised the peak resident set by {streamed} bytes (limit {FLAT})"
    );

    // The measure sees a download held whole: collecting the same file into memory peaks at
    // its size.
    let (buffered, held) = peak_above_start(async {
        let Output::Download(download) = client
            .call_tool(
                "puzzel_archive_recording_files_download",
                &serde_json::json!({"iq_session_id": call.to_string(), "index": "0"}),
            )
            .await
            .unwrap()
        else {
            panic!("a file");
        };
        let mut all = Vec::new();
        let mut download = download;
        while let Some(chunk) = download.chunk().await.unwrap() {
            all.extend_from_slice(&chunk);
        }
        all.len()
    })
    .await;
    assert_eq!(held, SIZE);
    println!("peak resident set above the start: streamed {streamed} B, held whole {buffered} B");
    assert!(
        buffered >= SIZE * 9 / 10,
        "holding the file whole shows in the measure: {buffered}"
    );
}
