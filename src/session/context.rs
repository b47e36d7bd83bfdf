//! `ShardContext`: what every session on one shard shares (users, backend targets, the identity
//! sluice shows clients, the shutdown signal). Built once per shard, shared through `Rc`.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use crate::auth::{AuthPlugin, UserStore};
use crate::classify::ClassifierConfig;
use crate::net::{Net, Shutdown};
use crate::pool::BackendTarget;
use crate::protocol::constants::{cap, DEFAULT_COLLATION};

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

pub struct ShardContext<N: Net> {
    pub net: N,
    pub shard: u32,
    pub users: UserStore,
    pub primary: BackendTarget,
    pub auth_plugin: AuthPlugin,
    identity: RefCell<ServerIdentity>,
    pub connect_timeout: Duration,
    pub shutdown: Shutdown,
    /// Functions configured as read-only, for the classifier.
    pub classifier: ClassifierConfig,
    next_id: Cell<u32>,
}

impl<N: Net> ShardContext<N> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        net: N,
        shard: u32,
        users: UserStore,
        primary: BackendTarget,
        auth_plugin: AuthPlugin,
        identity: ServerIdentity,
        connect_timeout: Duration,
        shutdown: Shutdown,
    ) -> Self {
        Self {
            net,
            shard,
            users,
            primary,
            auth_plugin,
            identity: RefCell::new(identity),
            connect_timeout,
            shutdown,
            classifier: ClassifierConfig::default(),
            next_id: Cell::new(0),
        }
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
