//! `cargo tasklint`: cargo runs `cargo-tasklint tasklint ARGS` (src/cargo_tasklint.rs).

fn main() -> std::process::ExitCode {
    tasklint::cargo_tasklint::main_with_args(std::env::args_os())
}
