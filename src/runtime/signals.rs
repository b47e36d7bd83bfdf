//! SIGINT/SIGTERM: a helper thread turns them into the shared stop flag the shards watch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tracing::info;

use super::RuntimeError;

pub fn install(stop: Arc<AtomicBool>) -> Result<(), RuntimeError> {
    let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(RuntimeError::Signals)?;
    std::thread::Builder::new()
        .name("sluice-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                info!(
                    signal = sig,
                    "shutting down: no new connections, finishing in-flight replies"
                );
                stop.store(true, Ordering::SeqCst);
            }
        })
        .map_err(RuntimeError::Signals)?;
    Ok(())
}
