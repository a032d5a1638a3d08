//! `wxgate openapi`: prints the JSON API's OpenAPI document, for generating clients without a running server.

use std::io::Write;
use std::process::ExitCode;

use crate::contract;

pub fn run() -> ExitCode {
    let printed = contract::document()
        .to_pretty_json()
        .map_err(|error| error.to_string())
        .and_then(|text| writeln!(std::io::stdout(), "{text}").map_err(|error| error.to_string()));
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wxgate openapi: {error}");
            ExitCode::FAILURE
        }
    }
}
