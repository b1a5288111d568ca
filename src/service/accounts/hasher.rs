//! The bound on password hashing. One argon2id hash takes 19 MiB and tens
//! of milliseconds of a core, so unbounded parallel sign-ins can exhaust
//! memory without any account: hashing runs in a pool sized to the cores,
//! at most one hash per client address at a time, and a request that
//! cannot get its turn within a short wait is refused (429, Retry-After)
//! instead of queueing without end.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::service::{Error, Result};

/// Shared by every request of a node.
#[derive(Clone)]
pub struct Hasher {
    inner: Arc<Inner>,
}

struct Inner {
    permits: Semaphore,
    size: usize,
    clients: Mutex<HashSet<IpAddr>>,
    freed: Notify,
    wait: Duration,
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// Frees a client's turn however the hash ends.
struct Turn<'a> {
    inner: &'a Inner,
    client: Option<IpAddr>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Some(ip) = self.client {
            if let Ok(mut set) = self.inner.clients.lock() {
                set.remove(&ip);
            }
            self.inner.freed.notify_waiters();
        }
    }
}

impl Hasher {
    /// A pool of `size` hashes at once (0: one per core), waiting at most
    /// `wait` for a turn.
    pub fn new(size: usize, wait: Duration) -> Hasher {
        let size = if size == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            size
        };
        Hasher {
            inner: Arc::new(Inner {
                permits: Semaphore::new(size),
                size,
                clients: Mutex::new(HashSet::new()),
                freed: Notify::new(),
                wait,
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
            }),
        }
    }

    /// How many hashes may run at once.
    pub fn size(&self) -> usize {
        self.inner.size
    }

    /// The most hashes that ever ran at once (tests assert the bound).
    pub fn peak(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }

    /// Runs `work` (a hash or a verification) in the pool for `client`
    /// (None: the console or the CLI, not limited per address).
    /// `Throttled` when no turn came within the wait.
    pub async fn run<T, F>(&self, client: Option<IpAddr>, work: F) -> Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let inner = &*self.inner;
        let deadline = tokio::time::Instant::now() + inner.wait;
        let turn = match client {
            Some(ip) => loop {
                let freed = inner.freed.notified();
                let taken = inner
                    .clients
                    .lock()
                    .map(|mut set| set.insert(ip))
                    .unwrap_or(false);
                if taken {
                    break Turn {
                        inner,
                        client: Some(ip),
                    };
                }
                if tokio::time::timeout_at(deadline, freed).await.is_err() {
                    return Err(Error::Throttled {
                        retry_after: inner.wait.as_secs().max(1),
                    });
                }
            },
            None => Turn {
                inner,
                client: None,
            },
        };
        let permit = match tokio::time::timeout_at(deadline, inner.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => {
                return Err(Error::Throttled {
                    retry_after: inner.wait.as_secs().max(1),
                });
            }
        };
        let now = inner.running.fetch_add(1, Ordering::SeqCst) + 1;
        inner.peak.fetch_max(now, Ordering::SeqCst);
        let done = tokio::task::spawn_blocking(work).await;
        inner.running.fetch_sub(1, Ordering::SeqCst);
        drop(permit);
        drop(turn);
        done.map_err(|e| Error::Internal(anyhow::anyhow!("hashing task: {e}")))
    }
}

/// Big allocations (an argon2 block array is 19 MiB) always come from and
/// go back to the kernel, instead of staying in the allocator's arenas
/// after glibc raised its mmap threshold: memory at rest returns to what
/// it was before a burst of sign-ins.
pub fn return_big_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of the allocator;
    // called once at start-up.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_client_waits_for_its_turn_or_is_refused() {
        let h = Hasher::new(2, Duration::from_millis(200));
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        let (started, running) = std::sync::mpsc::channel();
        let (go, release) = std::sync::mpsc::channel::<()>();
        let busy = h.clone();
        let first = tokio::spawn(async move {
            busy.run(Some(ip), move || {
                let _ = started.send(());
                let _ = release.recv();
            })
            .await
        });
        tokio::task::spawn_blocking(move || running.recv())
            .await
            .expect("join")
            .expect("the first hash runs");
        let second = h.run(Some(ip), || ()).await;
        assert!(matches!(second, Err(Error::Throttled { .. })), "{second:?}");
        // Another client is not held up by that one.
        let other: IpAddr = "192.0.2.8".parse().expect("ip");
        assert!(h.run(Some(other), || ()).await.is_ok());
        go.send(()).expect("release");
        first.await.expect("join").expect("first");
        assert!(
            h.run(Some(ip), || ()).await.is_ok(),
            "its turn is free again"
        );
        assert!(h.peak() <= 2);
    }
}
