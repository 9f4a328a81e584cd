//! The session pipeline: a pure core per request ([`chain`]) and the actix
//! actor that runs chains ([`Pipeline`]), talking to the Refiner, the cache
//! bridge, the Suggester and the journal.

mod actor;
pub mod chain;
mod deliver;
mod ops;
pub mod proxied;
mod shape;

pub use actor::{Pipeline, Settings, SuggestWith};
pub use chain::{Ask, Chain, Input, Step};
pub use ops::{ActOnSuggestion, CloseSession, Decide, GiveFeedback, OpenSession, SubmitPrompt, SubmitProxied};
pub use proxied::{CacheMode, Delivery, Proxied};
