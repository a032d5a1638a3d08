//! wxgate started inside the test's process, through `wxgate::launch` as `wxgate serve` starts it, from the same
//! variables a [`super::WxgateProcess`] gets: moving a test between the two is changing its constructor.

use std::ops::Deref;

use app::ssr::config::Vars;
use wxgate::cli::ServeArgs;

use super::server_thread::ServerThread;
use super::{environment, Served, TestDatabase};

/// A wxgate serving in this process on a port of its own; stopped when dropped.
pub struct Wxgate {
    served: Served,
    _thread: ServerThread,
}

impl Wxgate {
    /// Starts wxgate with the given extra environment (see [`environment`]) and returns once it listens.
    pub async fn start(database: &TestDatabase, env: &[(&str, &str)]) -> Wxgate {
        let pairs = environment(database, env);
        let vars = Vars::from_pairs(
            pairs
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        // The binary runs in the test's folder and keeps its files in `WXGATE_DATA_DIR` (which a test may move).
        let working_dir = database.data_dir().to_owned();
        let data_dir = working_dir.join(vars.get("WXGATE_DATA_DIR").unwrap_or_default());
        let (thread, address) = ServerThread::start(move |listener, stop| async move {
            let mut args = ServeArgs::from_vars(&vars).map_err(|error| error.to_string())?;
            args.addr = listener.local_addr().map_err(|error| error.to_string())?;
            args.site_root = working_dir.join(&args.site_root);
            let wxgate = wxgate::launch::prepare(&vars, &data_dir, &args)
                .await
                .map_err(|refusal| refusal.to_string())?;
            Ok(wxgate.serve(listener, stop.signalled()))
        })
        .await;
        Wxgate {
            served: Served {
                base_url: format!("http://{address}"),
            },
            _thread: thread,
        }
    }
}

impl Deref for Wxgate {
    type Target = Served;

    fn deref(&self) -> &Served {
        &self.served
    }
}
