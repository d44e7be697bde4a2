//! limeade-apply: the live side of limeade.
//!
//! - [`registry`] keeps, per tracked module, the source the program is running and its parsed tree,
//!   notices edits on disk cheaply (file stamps, then content hashes) and plans them with
//!   `limeade-plan`.
//! - [`watch`] is the one file watcher (`notify`) of the process: the registry's change
//!   detection and auto-refresh both read it.
//! - [`mutation`] commits a refresh's mutations to live objects **in native code, in one hold of the
//!   GIL, without running Python code in between**, recording an undo log so a failure anywhere puts
//!   every object back exactly as it was.
//!
//! **limeade-apply never parses source itself**: everything it knows about code comes from a plan.

pub mod actions;
pub mod error;
pub mod fault;
pub mod later;
pub mod loader_source;
pub mod mutation;
pub mod registry;
pub mod stamp;
pub mod warm;
pub mod watch;

pub use error::RegistryError;
pub use mutation::{commit, Mutation, MutationLog};
pub use registry::{LoaderSource, Registry, ScanOutcome, SharedWatcher, Stamp};
pub use watch::{Batch, Coverage, FileWatcher, Subscription, Waited, WatchError};
