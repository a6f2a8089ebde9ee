//! HTTP-level tests of the real app against a real PostgreSQL, one database each.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod api;
mod audit_chain;
mod auth;
mod backup;
mod cases;
mod evidence;
mod exports;
mod html;
mod i18n;
mod identifiers;
mod import;
mod infra;
mod legal;
mod mail;
mod metrics;
mod portal;
mod print;
mod privacy;
mod queues;
mod retention;
mod second_factor;
mod security;
mod stats;
mod units;
