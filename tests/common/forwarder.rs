//! A TCP forwarder standing in for the primary, which a test can take down and bring back
//! (or cut in the middle of a reply), and the config edit that points sluice at it. Shared by the
//! tests of backend failures and of reconnection.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::{Flavor, PortReservation};

/// One forwarded connection: both sockets, and the bytes relayed from the server so far.
struct Link {
    client: TcpStream,
    server: TcpStream,
    from_server: Arc<AtomicU64>,
}

impl Link {
    fn cut(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }
}

type Links = Arc<Mutex<Vec<Link>>>;

struct Running {
    stop: Arc<AtomicBool>,
    accept: JoinHandle<()>,
    links: Links,
}

pub struct Forwarder {
    reservation: PortReservation,
    target: String,
    running: Option<Running>,
}

impl Forwarder {
    pub fn start(target: String) -> Forwarder {
        let mut forwarder = Forwarder {
            reservation: PortReservation::new(),
            target,
            running: None,
        };
        forwarder.up();
        forwarder
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.reservation.port)
    }

    /// Listens again (on the same port) and forwards new connections.
    pub fn up(&mut self) {
        assert!(self.running.is_none(), "forwarder already up");
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(self.addr()) {
                Ok(listener) => break listener,
                Err(err) if Instant::now() < deadline => {
                    eprintln!("forwarder rebind {}: {err}; retrying", self.addr());
                    thread::sleep(Duration::from_millis(50));
                }
                Err(err) => panic!("forwarder cannot listen on {}: {err}", self.addr()),
            }
        };
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let links: Links = Arc::new(Mutex::new(Vec::new()));
        let target = self.target.clone();
        let accept = {
            let stop = Arc::clone(&stop);
            let links = Arc::clone(&links);
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => forward(client, &target, &links),
                        Err(err) if err.kind() == ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5));
                        }
                        Err(err) => panic!("forwarder accept: {err}"),
                    }
                }
                // The listener is dropped here: connections are refused from now on.
            })
        };
        self.running = Some(Running {
            stop,
            accept,
            links,
        });
    }

    /// Stops listening and cuts every forwarded connection.
    pub fn down(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        running.stop.store(true, Ordering::SeqCst);
        running.accept.join().expect("forwarder accept thread");
        for link in running.links.lock().expect("forwarder lock").drain(..) {
            link.cut();
        }
    }

    /// Cuts, without closing the listener, every connection that has relayed more than `bytes`
    /// from the server; returns how many.
    pub fn cut_busy(&self, bytes: u64) -> usize {
        let running = self.running.as_ref().expect("forwarder is up");
        let links = running.links.lock().expect("forwarder lock");
        let busy: Vec<&Link> = links
            .iter()
            .filter(|link| link.from_server.load(Ordering::SeqCst) > bytes)
            .collect();
        for link in &busy {
            link.cut();
        }
        busy.len()
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.down();
    }
}

fn forward(client: TcpStream, target: &str, links: &Links) {
    client
        .set_nonblocking(false)
        .expect("blocking client socket");
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let from_server = Arc::new(AtomicU64::new(0));
    links.lock().expect("forwarder lock").push(Link {
        client: client.try_clone().expect("clone client"),
        server: server.try_clone().expect("clone server"),
        from_server: Arc::clone(&from_server),
    });
    pipe(
        client.try_clone().expect("clone client"),
        server.try_clone().expect("clone server"),
        Arc::new(AtomicU64::new(0)),
    );
    pipe(server, client, from_server);
}

fn pipe(mut from: TcpStream, mut to: TcpStream, counter: Arc<AtomicU64>) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    counter.fetch_add(n as u64, Ordering::SeqCst);
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A config edit pointing `[backends.primary]` at `addr`. The quotes are part of the match: the
/// listener's random port may start with the primary's digits (`127.0.0.1:33177` contains
/// `127.0.0.1:3317`), which made a bare replace corrupt the listener address.
pub fn with_primary(flavor: Flavor, addr: String) -> impl Fn(String) -> String {
    move |cfg: String| {
        let from = format!("\"{}\"", flavor.primary_addr());
        let out = cfg.replacen(&from, &format!("\"{addr}\""), 1);
        assert_ne!(out, cfg, "config edit did not apply");
        out
    }
}
