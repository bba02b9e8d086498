fn main() -> std::process::ExitCode {
    taskmark::cli::main()
}
