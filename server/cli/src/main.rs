fn main() -> std::process::ExitCode {
    taskmark::allocator::one_arena_per_core();
    taskmark::cli::main()
}
