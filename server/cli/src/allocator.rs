//! How the process allocates.
//!
//! glibc's malloc gives each thread that contends for a lock an arena of its own, up to eight per
//! core. Indexing reads on many more threads than there are cores (so that reads wait on the
//! disk in parallel), and every reader allocates the texts and the parsed values it keeps: with
//! an arena per reader, the index ends up spread over a dozen arenas, each with its own free
//! space. One arena per core is as fast here and keeps less memory (on the 10,000-file
//! task-dense benchmark: peak RSS 141 -> 130 MB, `check` 334 -> 306 ms; see BENCHMARKS.md).

/// Limits malloc to one arena per core. Call it first thing, before any thread starts.
pub fn one_arena_per_core() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, |it| it.get());
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a tunable of the allocator; before other threads exist
        // nothing can be allocating concurrently. A refusal (return value 0) leaves the default.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
