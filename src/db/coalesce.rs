//! Reads of one kind that a worker starts in the same turn of its event loop, answered by
//! one statement.
//!
//! A busy worker wakes with many requests ready at once. Each wants the same query with
//! a different key (its session), and each statement costs PostgreSQL far more than one
//! more key in it does. So the first request of a turn queues its key and schedules the
//! read behind the requests already woken; they queue theirs; the read then takes every
//! key waiting, runs once (`WHERE key = ANY($1)`) and answers each request with its own
//! row. A request that arrives while that read is out starts the next one: reads are
//! pipelined, never waited on, so nobody waits longer than their own round trip.
//!
//! Nothing is kept: every answer is read after its request arrived, so a session ended
//! a moment ago is refused just as with a read of its own.

use super::Counters;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::oneshot;

/// One worker's queue of keys waiting for the next read (not `Send`: per worker).
pub struct Coalescer<K, V> {
    waiting: RefCell<Vec<Waiting<K, V>>>,
    /// Whether a task is answering the queue (it reads until the queue is empty).
    answering: Cell<bool>,
    /// Where `waiting`'s length is added up over every worker, for tests and metrics.
    counters: Arc<Counters>,
}

/// A request's key and where its answer goes: `Some(found)`, or `None` for "ask another way".
type Waiting<K, V> = (K, oneshot::Sender<Option<Option<V>>>);

impl<K: Eq + Hash + Clone + 'static, V: Clone + 'static> Coalescer<K, V> {
    pub fn new(counters: Arc<Counters>) -> Self {
        Self { waiting: RefCell::new(Vec::new()), answering: Cell::new(false), counters }
    }

    /// The value for `key`, read together with every other key queued by the time the
    /// read goes out. `Some(None)`: the read found nothing for `key`. `None`: the read
    /// failed (or the worker is stopping), and the caller should ask another way.
    ///
    /// `read` is given the distinct keys of a batch and how many requests wait on them,
    /// and returns what it found, or `None` if it failed. Every caller passes the same
    /// one: the first of a quiet spell's callers starts the task that runs it, batch
    /// after batch, until nobody waits.
    pub async fn get(
        self: &Rc<Self>,
        key: K,
        read: impl AsyncFn(Vec<K>, usize) -> Option<HashMap<K, V>> + 'static,
    ) -> Option<Option<V>> {
        let (reply, answer) = oneshot::channel();
        self.waiting.borrow_mut().push((key, reply));
        self.counters.waiting.fetch_add(1, Ordering::Relaxed);
        if !self.answering.replace(true) {
            // Spawned, not awaited here: the task runs after the requests this turn has
            // already woken, so their keys are in its first batch.
            actix_web::rt::spawn(self.clone().answer(read));
        }
        answer.await.ok().flatten()
    }

    /// Reads batch after batch: what queued while one read was out is the next one.
    async fn answer(self: Rc<Self>, read: impl AsyncFn(Vec<K>, usize) -> Option<HashMap<K, V>>) {
        // However this task ends (even unwinding, or dropped with its worker), the next
        // caller starts another, and whoever still waits is told to ask another way.
        let _done = Done(&self);
        loop {
            let batch = self.take();
            if batch.is_empty() {
                return;
            }
            let mut distinct = HashSet::with_capacity(batch.len());
            let keys =
                batch.iter().filter(|(key, _)| distinct.insert(key)).map(|(key, _)| key.clone()).collect();
            let found = read(keys, batch.len()).await;
            for (key, reply) in batch {
                // A request that went away meanwhile has dropped its end: nothing to do.
                let _ = reply.send(found.as_ref().map(|found| found.get(&key).cloned()));
            }
        }
    }
}

impl<K, V> Coalescer<K, V> {
    /// Everything waiting, to go out now.
    fn take(&self) -> Vec<Waiting<K, V>> {
        let batch = std::mem::take(&mut *self.waiting.borrow_mut());
        self.counters.waiting.fetch_sub(batch.len(), Ordering::Relaxed);
        batch
    }
}

/// Clears [`Coalescer::answering`] when the answering task ends.
struct Done<'a, K, V>(&'a Coalescer<K, V>);

impl<K, V> Drop for Done<'_, K, V> {
    fn drop(&mut self) {
        self.0.answering.set(false);
        // Their senders dropped: each of them asks another way.
        drop(self.0.take());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The batches a read was given: their keys, and how many requests waited on them.
    type Seen = Rc<RefCell<Vec<(Vec<u32>, usize)>>>;

    /// Runs `body` on a single-threaded runtime with a local task set, like a worker.
    fn on_a_worker<F: Future>(body: F) -> F::Output {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        tokio::task::LocalSet::new().block_on(&runtime, body)
    }

    /// A read that records the batches it was given and answers each key with its
    /// square, but 0 with nothing; it yields once, as a query's round trip would.
    fn squares(seen: &Seen) -> impl AsyncFn(Vec<u32>, usize) -> Option<HashMap<u32, u32>> + use<> {
        let seen = seen.clone();
        async move |keys: Vec<u32>, requests| {
            seen.borrow_mut().push((keys.clone(), requests));
            tokio::task::yield_now().await;
            Some(keys.into_iter().filter(|k| *k != 0).map(|k| (k, k * k)).collect())
        }
    }

    #[test]
    fn keys_queued_in_one_turn_are_read_once_each_getting_its_own_answer() {
        on_a_worker(async {
            let (coalescer, seen): (_, Seen) = (Rc::new(Coalescer::new(Arc::default())), Rc::default());
            let get = |key| {
                let (coalescer, read) = (coalescer.clone(), squares(&seen));
                async move { coalescer.get(key, read).await }
            };
            // 3 twice: asked once, answered to both. 0: found nothing.
            let answers = tokio::join!(get(2), get(3), get(3), get(0), get(5));
            assert_eq!(answers, (Some(Some(4)), Some(Some(9)), Some(Some(9)), Some(None), Some(Some(25))));
            assert_eq!(*seen.borrow(), [(vec![2, 3, 0, 5], 5)]);
        });
    }

    #[test]
    fn keys_queued_while_a_read_is_out_go_out_together_when_it_is_back() {
        on_a_worker(async {
            let counters: Arc<Counters> = Arc::default();
            let (coalescer, seen): (_, Seen) = (Rc::new(Coalescer::new(counters.clone())), Rc::default());
            let first = actix_web::rt::spawn({
                let (coalescer, read) = (coalescer.clone(), squares(&seen));
                async move { coalescer.get(2, read).await }
            });
            // Until the first read is out (it then waits on its round trip).
            while seen.borrow().is_empty() {
                tokio::task::yield_now().await;
            }
            let queued =
                tokio::join!(coalescer.get(3, squares(&seen)), coalescer.get(4, squares(&seen)), async {
                    assert_eq!(
                        counters.waiting.load(Ordering::Relaxed),
                        2,
                        "both wait behind the first read"
                    );
                });
            assert_eq!(
                (first.await.unwrap(), queued.0, queued.1),
                (Some(Some(4)), Some(Some(9)), Some(Some(16)))
            );
            assert_eq!(*seen.borrow(), [(vec![2], 1), (vec![3, 4], 2)]);
            assert_eq!(counters.waiting.load(Ordering::Relaxed), 0);
        });
    }

    #[test]
    fn a_failed_read_tells_every_waiting_request_to_ask_another_way() {
        on_a_worker(async {
            let coalescer: Rc<Coalescer<u32, u32>> = Rc::new(Coalescer::new(Arc::default()));
            let get = |key| {
                let coalescer = coalescer.clone();
                async move { coalescer.get(key, async |_, _| None).await }
            };
            assert_eq!(tokio::join!(get(1), get(2)), (None, None));
        });
    }

    #[test]
    fn after_a_read_that_panicked_the_next_request_is_still_answered() {
        on_a_worker(async {
            let (coalescer, seen): (_, Seen) = (Rc::new(Coalescer::new(Arc::default())), Rc::default());
            let panicking =
                coalescer.get(1, async |_: Vec<u32>, _| -> Option<HashMap<u32, u32>> { panic!("a bug") });
            assert_eq!(panicking.await, None, "asks another way");
            let next =
                tokio::time::timeout(std::time::Duration::from_secs(5), coalescer.get(3, squares(&seen)));
            assert_eq!(next.await.expect("answered, not left waiting"), Some(Some(9)));
        });
    }
}
