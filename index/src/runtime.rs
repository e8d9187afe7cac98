//! Lance is async; Segue's API is synchronous. One shared Tokio runtime bridges the two.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

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

/// Runs `fut` to completion on the shared runtime.
///
/// Must not be called from inside an async task (Tokio forbids nested `block_on`); async callers
/// should use `tokio::task::spawn_blocking` around Segue's synchronous API.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    runtime().block_on(fut)
}
