//! A state as data: what the reports, trace files and `replay` show of each member, the
//! client and the committed entries, whatever the level.

use serde::Serialize;

/// A member's state after a step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberRow {
    pub member: String,
    pub state: String,
    pub term: u8,
    /// Oplog entries as optimes; `w1` marks client write 1.
    pub oplog: Vec<String>,
    /// Its durable vote: "n1 in term 2", or "none" (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote: Option<String>,
    /// The commit point it knows (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_point: Option<String>,
    /// Entries this member has rolled back, ever (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<Vec<String>>,
}

/// The client's view after a step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientRow {
    /// "write k at (t,i)" for each acknowledged write.
    pub acknowledged: Vec<String>,
}

/// A state as data: every member, and the client or the committed entries as the level
/// has them.
#[derive(Clone, Debug, PartialEq)]
pub struct StateRows {
    pub members: Vec<MemberRow>,
    pub client: Option<ClientRow>,
    pub committed: Option<Vec<String>>,
}
