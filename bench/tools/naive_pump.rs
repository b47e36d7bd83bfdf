//! naive_pump: the floor for any TCP proxy on this host. Two blocking threads per client
//! connection copy bytes to and from one upstream connection, with no parsing at all. The
//! point-select benchmark runs it beside sluice so "what a relay costs here" is measured in the
//! same run. Not part of sluice; built with plain rustc by bench/point-select.sh.
//! usage: naive_pump LISTEN_ADDR UPSTREAM_ADDR

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;

fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
}

fn serve(client: TcpStream, upstream: &str) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream)?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (c2, s2) = (client.try_clone()?, server.try_clone()?);
    thread::spawn(move || copy(client, server));
    thread::spawn(move || copy(s2, c2));
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: naive_pump LISTEN_ADDR UPSTREAM_ADDR");
        std::process::exit(2);
    }
    let listener = TcpListener::bind(&args[1]).unwrap_or_else(|e| {
        eprintln!("naive_pump: bind {}: {e}", args[1]);
        std::process::exit(1);
    });
    for client in listener.incoming().flatten() {
        if let Err(e) = serve(client, &args[2]) {
            eprintln!("naive_pump: {e}");
        }
    }
}
