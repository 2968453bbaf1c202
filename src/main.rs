//! The `basket` binary: everything lives in the library; `main` only hands over
//! the arguments and turns the outcome into an exit code.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    basket::main_with_args(std::env::args_os())
}
