//! Frontends: each turns one file's text into a [`crate::model::FileModel`].

pub mod python;
pub mod rust;
