//! Adapters generated at build time from `mappings/` by this crate's `build.rs`, the way a
//! product would embed Switchboard without the committed `switchboard-generated` crate.

include!(concat!(env!("OUT_DIR"), "/switchboard.rs"));
