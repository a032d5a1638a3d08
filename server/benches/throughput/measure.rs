//! Rates, and the ways they are measured: requests over HTTP with a bounded number in flight, a function called in a
//! loop on one core, and the latency of requests sent at a fixed rate.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How long a loop on one core runs, at least.
const LOOP_TIME: Duration = Duration::from_secs(1);

/// Operations done in a stretch of time.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    operations: usize,
    elapsed: Duration,
}

impl Rate {
    pub fn operations(&self) -> usize {
        self.operations
    }

    pub fn per_second(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64()
    }

    pub fn micros_each(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / self.operations as f64
    }
}

/// Runs every job, at most `in_flight` at once, and times the whole batch. A job that panics (a wrong answer)
/// ends the benchmark with its message.
pub async fn in_flight<T, J>(jobs: Vec<J>, in_flight: usize) -> (Vec<T>, Rate)
where
    T: Send + 'static,
    J: Future<Output = T> + Send + 'static,
{
    let operations = jobs.len();
    let gate = Arc::new(Semaphore::new(in_flight));
    let started = Instant::now();
    let mut running = JoinSet::new();
    for job in jobs {
        let gate = Arc::clone(&gate);
        running.spawn(async move {
            let _turn = gate.acquire_owned().await.expect("the gate stays open");
            job.await
        });
    }
    let mut outputs = Vec::with_capacity(operations);
    while let Some(done) = running.join_next().await {
        match done {
            Ok(output) => outputs.push(output),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    let elapsed = started.elapsed();
    (
        outputs,
        Rate {
            operations,
            elapsed,
        },
    )
}

/// Calls `operation(0)`, `operation(1)`, … on this thread for at least a second.
pub fn on_one_core(mut operation: impl FnMut(usize)) -> Rate {
    let started = Instant::now();
    let mut operations = 0;
    while started.elapsed() < LOOP_TIME {
        operation(operations);
        operations += 1;
    }
    Rate {
        operations,
        elapsed: started.elapsed(),
    }
}

/// The answer times of requests sent at a fixed rate.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
}

/// Starts job `i` at `i / per_second` seconds, whether or not the earlier ones were answered (an open loop, as
/// WeChat Pay sends), and times each from when it was due to start to its answer, so a queue behind a slow answer
/// counts against the requests that waited in it.
pub async fn at_rate<J>(jobs: Vec<J>, per_second: f64) -> Latency
where
    J: Future<Output = ()> + Send + 'static,
{
    let started = tokio::time::Instant::now();
    let mut running = JoinSet::new();
    for (index, job) in jobs.into_iter().enumerate() {
        let due = started + Duration::from_secs_f64(index as f64 / per_second);
        tokio::time::sleep_until(due).await;
        running.spawn(async move {
            job.await;
            due.elapsed()
        });
    }
    let mut times = Vec::with_capacity(running.len());
    while let Some(done) = running.join_next().await {
        match done {
            Ok(time) => times.push(time),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    times.sort();
    let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction).round() as usize];
    Latency {
        p50: at(0.50),
        p99: at(0.99),
    }
}
