//! In-memory search engine over the published places.
