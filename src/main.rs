use std::process::ExitCode;

fn main() -> ExitCode {
    tasklint::cli::main_with_args(std::env::args_os())
}
