//! Helpers shared by the net crate's integration tests.
#![allow(dead_code)]

pub mod scripted;
