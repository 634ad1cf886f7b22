//! Types shared by every unified model.

use serde::{Deserialize, Serialize};

/// An instant, serialised as RFC 3339 in UTC (`2024-02-19T15:00:08Z`).
pub type Timestamp = jiff::Timestamp;

/// A calendar date, serialised as `YYYY-MM-DD`.
pub type Date = jiff::civil::Date;

/// A reference to another record: its id, and its display name where the provider gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
