//! `ShardContext`: what every session on one shard shares (users, the shard's backend pool and
//! read chooser, the identity sluice shows clients, the listener's consistency level and auth
//! plugin, the shutdown signal). Built once per listener and shard, shared through `Rc`.

use super::commit_watermark::CommitWatermark;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::auth::{AuthPlugin, UserStore};
use crate::classify::ClassifierConfig;
use crate::config::{ConsistencyConfig, ConsistencyLevel};
use crate::net::{Net, Shutdown};
use crate::pool::ShardPool;
use crate::protocol::constants::{cap, DEFAULT_COLLATION};
use crate::router::{Cluster, ReadChooser};

/// What sluice tells clients about "the server" in its greeting: the primary's version string,
/// capabilities and default collation, learned at start-up, so clients see what they would see
/// connecting to the primary.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    pub version: String,
    pub capabilities: u32,
    pub collation: u8,
    /// False for the stand-in used while the primary has not been reached yet.
    pub learned: bool,
}

impl Default for ServerIdentity {
    fn default() -> Self {
        Self {
            version: "8.0.0-sluice".into(),
            capabilities: cap::SUPPORTED,
            collation: DEFAULT_COLLATION,
            learned: false,
        }
    }
}

/// The parts of a shard every listener's sessions share.
pub struct ShardShared<N: Net> {
    pub net: N,
    pub shard: u32,
    pub users: UserStore,
    pub pool: ShardPool<N::Stream>,
    pub chooser: ReadChooser,
    pub shutdown: Shutdown,
    /// Functions configured as read-only, for the classifier.
    pub classifier: ClassifierConfig,
    /// How long a read waits for a replica to catch up, and the lag that excludes one.
    pub reads: ConsistencyConfig,
    /// The primary position this shard's newest commit proves, for `global` reads.
    pub commit_watermark: CommitWatermark,
    identity: RefCell<ServerIdentity>,
    next_id: Cell<u32>,
}

impl<N: Net> ShardShared<N> {
    pub fn new(
        net: N,
        shard: u32,
        users: UserStore,
        pool: ShardPool<N::Stream>,
        identity: ServerIdentity,
        shutdown: Shutdown,
    ) -> Self {
        let chooser = ReadChooser::new(pool.cluster());
        Self {
            net,
            shard,
            users,
            pool,
            chooser,
            shutdown,
            classifier: ClassifierConfig::default(),
            reads: ConsistencyConfig::default(),
            commit_watermark: CommitWatermark::default(),
            identity: RefCell::new(identity),
            next_id: Cell::new(0),
        }
    }
}

/// One listener's view of a shard.
pub struct ShardContext<N: Net> {
    pub shared: Rc<ShardShared<N>>,
    pub auth_plugin: AuthPlugin,
    /// The level sessions on this listener start with.
    pub consistency: ConsistencyLevel,
}

impl<N: Net> std::ops::Deref for ShardContext<N> {
    type Target = ShardShared<N>;
    fn deref(&self) -> &ShardShared<N> {
        &self.shared
    }
}

impl<N: Net> ShardContext<N> {
    pub fn cluster(&self) -> &Cluster {
        self.pool.cluster()
    }

    /// The connection id sluice shows a client: unique across shards (shard number in bits
    /// 24..31), and with the top bit set so it can never equal a backend's thread id. Clients
    /// use it for `KILL QUERY <id>` (the mysql CLI on Ctrl-C); a low id would kill whichever
    /// unrelated backend thread has that number, this one gets "Unknown thread id" instead.
    pub fn next_connection_id(&self) -> u32 {
        let n = self.next_id.get().wrapping_add(1) & 0x00ff_ffff;
        self.next_id.set(n);
        0x8000_0000 | ((self.shard & 0x7f) << 24) | n
    }

    /// What sluice shows clients in its greeting.
    pub fn identity(&self) -> ServerIdentity {
        self.identity.borrow().clone()
    }

    /// Adopts what a backend login revealed, if the start-up probe could not reach the primary.
    pub fn learn_identity(&self, version: &str, capabilities: u32, collation: u8) {
        let mut id = self.identity.borrow_mut();
        if !id.learned {
            *id = ServerIdentity {
                version: version.to_owned(),
                capabilities,
                collation,
                learned: true,
            };
        }
    }

    /// Capabilities sluice offers clients: what it can relay, narrowed to what the primary has.
    pub fn offered_capabilities(&self) -> u32 {
        cap::SUPPORTED
            & (self.identity.borrow().capabilities | cap::LONG_PASSWORD | cap::CONNECT_ATTRS)
    }
}
