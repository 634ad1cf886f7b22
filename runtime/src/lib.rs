//! Switchboard's runtime: executes the calls of generated adapters.
//!
//! Generated code only says *what* to call and *where* the data is; this crate does the HTTP
//! (with [`Client`]), the authentication, the pagination ([`paginate`]), the errors ([`Error`])
//! and the value conversions used by compiled mappings ([`value`], [`convert`]).

mod client;
pub mod convert;
mod error;
pub mod interpret;
mod paginate;
pub mod request;
mod secret;
pub mod shape;
pub mod time;
pub mod types;
pub mod value;

pub use client::{
    Auth, Client, ClientConfig, ClientOptions, Request, Response, encode_path_segment,
};
pub use convert::{MapContext, MappingError};
pub use error::{Error, ErrorKind};
pub use paginate::{CursorSource, Pagination, PaginationKind};
pub use secret::Secret;
pub use shape::Shape;
pub use types::{Date, Reference, Timestamp};
