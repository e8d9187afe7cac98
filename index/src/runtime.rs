//! Lance is async; Segue's API is synchronous. One shared Tokio runtime bridges the two.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Handle, Runtime};

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("segue-io")
            .build()
            .expect("failed to start the Tokio runtime")
    })
}

/// Runs `fut` to completion on the shared runtime, from any thread.
///
/// Tokio refuses to block a thread that is driving a runtime, so when the caller is inside one
/// (an async application calling Segue's synchronous API) `fut` runs on a scoped helper thread
/// while the caller's thread waits. That blocks the caller's worker for the duration, as any
/// synchronous call does; async callers that care should still wrap Segue's calls in
/// `tokio::task::spawn_blocking`. A panic inside `fut` is re-raised in the caller.
pub fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if Handle::try_current().is_err() {
        return runtime().block_on(fut);
    }
    std::thread::scope(|s| {
        // Failing to start a thread is the same resource exhaustion `std::thread::spawn`
        // panics on.
        let helper = std::thread::Builder::new()
            .name("segue-block-on".into())
            .spawn_scoped(s, || runtime().block_on(fut))
            .expect("failed to start a thread for a call from async code");
        helper
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A future that needs the shared runtime's context, as Lance's do.
    async fn spawns() -> u32 {
        tokio::spawn(async { 20 }).await.unwrap() + 1
    }

    #[test]
    fn outside_any_runtime() {
        assert_eq!(block_on(spawns()), 21);
    }

    #[test]
    fn inside_a_current_thread_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(async { block_on(spawns()) }), 21);
    }

    #[test]
    fn inside_a_multi_thread_runtime_task() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let out = rt.block_on(async { tokio::spawn(async { block_on(spawns()) }).await });
        assert_eq!(out.unwrap(), 21);
    }

    #[test]
    #[should_panic(expected = "inside the future")]
    fn a_panic_in_the_future_reaches_the_async_caller() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async { block_on(async { panic!("inside the future") }) });
    }
}
